"""A user's goals, counted from the log when read, and the year in review."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Response

from ..schemas.goals import GoalCreateSchema, GoalListSchema, GoalPatchSchema, GoalSchema, ReviewQuerySchema, \
    ReviewSchema
from .access import READS_OWN, WRITES_OWN, allow
from .common import goals
from .parsing import Blueprint

blp = Blueprint("goals", __name__, url_prefix="/api/progress", description="Goals and the year in review")


def _today():
    return datetime.now(timezone.utc).date()


@blp.post("/<int:user_id>/goals")
@allow(WRITES_OWN)
@blp.arguments(GoalCreateSchema())
@blp.response(201, GoalSchema)
def create_goal(body, user_id):
    """Set a goal: what to count (units, completions or entries; of a unit, kind or title), how much
    in each period, from when (and to when)."""
    return goals().create(user_id, body, today=_today())


@blp.get("/<int:user_id>/goals")
@allow(READS_OWN)
@blp.response(200, GoalListSchema)
def list_goals(user_id):
    """The user's goals, each with its current period and the periods before it."""
    return {"items": goals().list(user_id, today=_today())}


@blp.get("/<int:user_id>/goals/<int:goal_id>")
@allow(READS_OWN)
@blp.response(200, GoalSchema)
def get_goal(user_id, goal_id):
    return goals().get(user_id, goal_id, today=_today())


@blp.patch("/<int:user_id>/goals/<int:goal_id>")
@allow(WRITES_OWN)
@blp.arguments(GoalPatchSchema())
@blp.response(200, GoalSchema)
def change_goal(body, user_id, goal_id):
    """Change any of a goal's fields; what it counts follows at once (nothing counted is kept)."""
    return goals().update(user_id, goal_id, body, today=_today())


@blp.delete("/<int:user_id>/goals/<int:goal_id>")
@allow(WRITES_OWN)
@blp.response(204)
def delete_goal(user_id, goal_id):
    goals().delete(user_id, goal_id)
    return Response(status=204)


@blp.get("/<int:user_id>/review")
@allow(READS_OWN)
@blp.arguments(ReviewQuerySchema(), location="query")
@blp.response(200, ReviewSchema)
def review(query, user_id):
    """The year in review, by when things occurred (UTC): trackers by status at the year's end,
    units and completions (per month) in the year, the titles rated highest, the longest run of
    days with entries, and how the user's goals did in their periods inside the year."""
    return goals().review(user_id, query["year"], today=_today())
