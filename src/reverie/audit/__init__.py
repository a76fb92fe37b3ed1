"""The audit log, the workspace lock and the journal that makes a change one recoverable unit."""
