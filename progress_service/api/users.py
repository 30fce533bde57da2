"""The caller's own account."""
from ..errors import AuthenticationFailed, UserNotFound
from ..schemas.accounts import UserSchema, UserUpdateSchema
from .access import SIGNED_IN, allow
from .common import accounts, caller
from .parsing import Blueprint

blp = Blueprint("users", __name__, url_prefix="/api/users", description="Your account")


@blp.get("/me")
@allow(SIGNED_IN)
@blp.response(200, UserSchema)
def me():
    try:
        return accounts().get(caller().user_id)
    except UserNotFound:  # a token that outlived its account
        raise AuthenticationFailed("This account no longer exists; register or log in again.") from None


@blp.patch("/me")
@allow(SIGNED_IN)
@blp.arguments(UserUpdateSchema())
@blp.response(200, UserSchema)
def update_me(body):
    return accounts().update(caller().user_id, body)


@blp.delete("/me")
@allow(SIGNED_IN)
@blp.response(204)
def delete_me():
    """Erase the account and every event of it."""
    accounts().erase(caller().user_id)
