"""Registration, login and the user object."""
from marshmallow import Schema, fields, validate

from . import UtcDateTime

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,32}$",
                           error="A username is 3 to 32 letters, digits or the characters _ . -")
PASSWORD = validate.Length(min=8, max=256, error="A password needs 8 to 256 characters.")
SERVICE_NAME = validate.Length(min=1, max=100, error="A service's name has 1 to 100 characters.")


class UserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    email = fields.String(allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(["user", "admin"]))
    created_at = UtcDateTime(required=True)


class RegisterSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, validate=PASSWORD, load_only=True)
    email = fields.Email(load_default=None, allow_none=True)


class RegisteredSchema(Schema):
    user = fields.Nested(UserSchema, required=True)
    access_token = fields.String(required=True)


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class _BearerSchema(Schema):
    """What every answer that gives a token says of it."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class TokenSchema(_BearerSchema):
    user = fields.Nested(UserSchema, required=True)


class ClientCredentialsSchema(Schema):
    """A service asks for a token with the client id and secret that create-service printed."""

    grant_type = fields.String(required=True, validate=validate.OneOf(
        ["client_credentials"], error="The one grant_type is client_credentials (a user logs in at /api/auth/login)."))
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class ServiceTokenSchema(_BearerSchema):
    role = fields.String(required=True, validate=validate.OneOf(["service"]))


class UserUpdateSchema(Schema):
    email = fields.Email(allow_none=True)
    password = fields.String(validate=PASSWORD, load_only=True)
