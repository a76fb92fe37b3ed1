"""The OpenAI-compatible distiller over the real ``openai`` client and recorded responses.

Recordings ``recordings/openai_*.json`` hold the exact request the SDK sends
to a local server (``http://127.0.0.1:11434/v1``, Ollama's address) and an
answer written by hand in the chat-completions format; the replay transport
refuses anything else, so no test can reach a server. The motifs and their
fix facts come from the ``llm_case`` fixture (``credo``, ``docker``, ``user``,
``none``, ``text``, ``malformed``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from reverie.cli.dream import make_distiller
from reverie.errors import ConfigError, LLMError
from reverie.ids import make_id
from reverie.rulebook.distill import template_env
from reverie.rulebook.distill_openai import OpenAIDistiller, openai_client
from reverie.settings import CONFIG_NAME, DistillSettings, Settings, load_settings
from reverie.testing.llm_replay import ReplayTransport

RECORDINGS = Path(__file__).parent / "recordings"
LOCAL = "http://127.0.0.1:11434/v1"
MODEL = "qwen2.5:7b"


class HeaderSpy(ReplayTransport):
    """The replay transport, noting each request's ``Authorization`` header."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        self.auth: list[str | None] = []

    def handle_request(self, request: Any) -> Any:
        self.auth.append(request.headers.get("authorization"))
        return super().handle_request(request)


def _settings(tmp_path: Path, **distill: Any) -> Settings:
    conf = {"provider": "openai", "model": MODEL, "base_url": LOCAL, "api_key_env": ""}
    return Settings(root=tmp_path, distill=DistillSettings(**(conf | distill)))


def _distiller(tmp_path: Path, **distill: Any) -> tuple[OpenAIDistiller, HeaderSpy]:
    transport = HeaderSpy(RECORDINGS)
    return OpenAIDistiller.from_settings(_settings(tmp_path, **distill), transport), transport


def _user(transport: ReplayTransport) -> str:
    return transport.requests[0]["body"]["messages"][1]["content"]


def test_local_server_request_with_facts_and_no_key(tmp_path: Path, llm_case) -> None:
    distiller, transport = _distiller(tmp_path)
    assert str(distiller.client.base_url) == LOCAL + "/"
    draft = distiller.distill(*llm_case("credo"))
    (sent,) = transport.requests
    assert sent["url"] == LOCAL + "/chat/completions" and transport.auth == [None]
    body = sent["body"]
    system = template_env().get_template("distill/system.j2").render(tool_name="propose_rule")
    assert body["messages"][0] == {"role": "system", "content": system.strip()}
    assert body["model"] == MODEL and body["max_tokens"] == 1024
    assert body["tool_choice"] == {"type": "function", "function": {"name": "propose_rule"}}
    (tool,) = body["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == "propose_rule"
    assert tool["function"]["parameters"]["required"] == ["title", "directive", "when", "because"]
    user = _user(transport)
    assert '<facts>\n{\n  "class": "flag",\n  "failed": "mix credo",\n' in user
    assert '"fix": "mix credo --strict",\n  "flag": "--strict",\n  "flag_action": "added",' in user
    assert draft.directive == "Run `mix credo --strict`, not `mix credo`."
    assert draft.flags == [] and draft.tools == ["Bash"]
    assert draft.distiller == "openai:qwen2.5:7b"
    assert draft.llm is not None and draft.llm.model == MODEL
    assert (draft.llm.input_tokens, draft.llm.output_tokens, draft.llm.cost_usd) == (1342, 96, 0.0)
    assert draft.llm.cache_key == make_id("distill-openai", LOCAL + "/", body)


def test_the_users_words_are_user_trust_evidence(tmp_path: Path, llm_case) -> None:
    distiller, transport = _distiller(tmp_path)
    draft = distiller.distill(*llm_case("user"))
    assert (
        '<evidence role="correction" trust="user" source="/data/s1.jsonl:42">\n'
        "don't push to main, open a pull request\n</evidence>"
    ) in _user(transport)
    assert draft.directive == (
        "Open a pull request instead of pushing: the user said "
        '"don\'t push to main, open a pull request".'
    )
    assert draft.flags == []


def test_a_directive_naming_no_fact_is_emptied_and_needs_one(tmp_path: Path, llm_case) -> None:
    distiller, transport = _distiller(tmp_path)
    draft = distiller.distill(*llm_case("docker"))
    assert '"fix": "docker login",' in _user(transport)
    assert draft.directive == "" and draft.flags == ["needs-directive"]
    assert draft.when == "Before pushing an image with docker push."


def test_class_none_needs_a_directive_whatever_the_model_says(tmp_path: Path, llm_case) -> None:
    distiller, transport = _distiller(tmp_path)
    draft = distiller.distill(*llm_case("none"))
    assert '<facts>\n{\n  "class": "none",\n' in _user(transport)
    recorded = orjson.loads((RECORDINGS / "openai_class_none.json").read_bytes())
    arguments = recorded["response"]["body"]["choices"][0]["message"]["tool_calls"][0]
    assert "Rerun `pytest`" in arguments["function"]["arguments"]  # the model wrote one
    assert draft.directive == "" and draft.flags == ["needs-directive"]


def test_a_json_answer_in_the_text_is_accepted(tmp_path: Path, llm_case) -> None:
    distiller, _ = _distiller(tmp_path)
    draft = distiller.distill(*llm_case("text"))  # a server that ignored tool_choice
    assert draft.directive == "Run `docker login` before `docker push`."
    assert draft.flags == []


def test_malformed_arguments_are_an_llm_error(tmp_path: Path, llm_case) -> None:
    distiller, _ = _distiller(tmp_path)
    with pytest.raises(LLMError, match=r"not JSON \(propose_rule's arguments\)"):
        distiller.distill(*llm_case("malformed"))
    assert list((tmp_path / ".reverie" / "llm_cache").glob("*.json")) == []


def test_answers_are_cached_by_content_hash(tmp_path: Path, llm_case) -> None:
    distiller, transport = _distiller(tmp_path)
    first = distiller.distill(*llm_case("credo"))
    again, transport2 = _distiller(tmp_path)
    assert again.distill(*llm_case("credo")) == first
    assert transport2.requests == [] and len(transport.requests) == 1


def test_unrecorded_request_is_refused(tmp_path: Path, llm_case, mk) -> None:
    distiller, transport = _distiller(tmp_path)
    with pytest.raises(LLMError, match="no recording"):
        distiller.distill(mk(signature="never-recorded"), [])
    assert len(transport.unmatched) == 1


def test_a_configured_key_is_read_when_the_client_is_built(
    tmp_path: Path, llm_case, monkeypatch
) -> None:
    with pytest.raises(ConfigError, match="set REVERIE_TEST_OPENAI_KEY"):
        _distiller(tmp_path, api_key_env="REVERIE_TEST_OPENAI_KEY")
    monkeypatch.setenv("REVERIE_TEST_OPENAI_KEY", "sk-test-dummy")
    distiller, transport = _distiller(tmp_path, api_key_env="REVERIE_TEST_OPENAI_KEY")
    distiller.distill(*llm_case("credo"))
    assert transport.auth == ["Bearer sk-test-dummy"]


def test_settings_choose_the_provider(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(
        f'[distill]\nprovider = "openai"\nmodel = "{MODEL}"\nbase_url = "{LOCAL}"\n'
        'api_key_env = ""\n'
    )
    conf = load_settings(tmp_path).distill
    assert (conf.provider, conf.model, conf.base_url, conf.api_key_env) == (
        "openai",
        MODEL,
        LOCAL,
        "",
    )
    (tmp_path / CONFIG_NAME).write_text('[distill]\nprovider = "openai"\n')
    with pytest.raises(ConfigError, match=r'distill: Value error, provider "openai" needs a model'):
        load_settings(tmp_path)
    (tmp_path / CONFIG_NAME).write_text('[distill]\nmode = "offline"\n')  # the old name
    assert load_settings(tmp_path).distill.provider == "template"


def test_the_cli_builds_the_openai_distiller_and_the_guard_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="OpenAI client without a ReplayTransport"):
        make_distiller(_settings(tmp_path))
    with pytest.raises(AssertionError, match="OpenAI client without a ReplayTransport"):
        openai_client(base_url=LOCAL, api_key_env="")
    with pytest.raises(AssertionError):
        openai.OpenAI(api_key="x")


def test_recordings_hold_no_credentials() -> None:
    paths = sorted(RECORDINGS.glob("openai_*.json"))
    assert len(paths) == 6
    for path in paths:
        rec = orjson.loads(path.read_bytes())
        assert set(rec["request"]) == {"method", "url", "body"}
        assert rec["request"]["url"] == LOCAL + "/chat/completions"
        assert "authorization" not in path.read_text().lower()
