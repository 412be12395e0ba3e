"""The process engine around SpiffWorkflow: definitions, runtime, store and services.

`engine` never imports `api` or `workers`; they depend on it.
"""
