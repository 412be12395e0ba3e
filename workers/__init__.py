"""Python workers for service tasks: department handoffs, notices, ledger, data platform.

Workers depend on `engine`, never the other way round."""
