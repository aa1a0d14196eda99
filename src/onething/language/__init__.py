"""The workflow language: YAML files read into a frozen, located model; every problem diagnosed
at once; conditions, form values and the JSON Schema."""
