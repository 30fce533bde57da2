"""marshmallow schemas for every request and response: the single source of the OpenAPI document."""
