"""The executor and the commands: load instance → apply one command → run → persist."""
