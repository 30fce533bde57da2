"""Registration and login."""
from flask import request

from ..schemas.accounts import LoginSchema, RegisteredSchema, RegisterSchema, TokenSchema
from .access import PUBLIC, allow
from .common import accounts
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
