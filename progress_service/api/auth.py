"""Registration and login, and a service's token."""
from flask import request

from ..schemas.accounts import (ClientCredentialsSchema, LoginSchema, RegisteredSchema, RegisterSchema,
                                ServiceTokenSchema, TokenSchema)
from .access import PUBLIC, allow
from .common import accounts, service_accounts
from .parsing import Blueprint

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Registration and login")


@blp.post("/register")
@allow(PUBLIC)
@blp.arguments(RegisterSchema())
@blp.response(201, RegisteredSchema)
def register(body):
    user = accounts().register(body["username"], body["password"], body.get("email"))
    return {"user": user, "access_token": accounts().token_for(user)}


@blp.post("/login")
@allow(PUBLIC)
@blp.arguments(LoginSchema())
@blp.response(200, TokenSchema)
def login(body):
    return accounts().log_in(body["username"], body["password"], request.remote_addr or "unknown")


@blp.post("/token")
@allow(PUBLIC)
@blp.arguments(ClientCredentialsSchema())
@blp.response(200, ServiceTokenSchema)
def token(body):
    """A service's token (role service, which reads the feed and nothing else), for the client id
    and secret that `python -m progress_service create-service NAME` printed."""
    return service_accounts().token(body["client_id"], body["client_secret"])
