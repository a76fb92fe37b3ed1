"""Transcript adapters: one module per format, found through the ``reverie.adapters`` group."""

from reverie.adapters.base import Adapter, AdapterOptions
from reverie.adapters.registry import adapters, detect, get_adapter

__all__ = ["Adapter", "AdapterOptions", "adapters", "detect", "get_adapter"]
