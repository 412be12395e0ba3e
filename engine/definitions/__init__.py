"""Parse, lint, version and store BPMN/DMN diagrams and the forms they reference."""
