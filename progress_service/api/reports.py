"""Reports: a title's figures (public, like the catalog) and a whole kind's (any signed-in user)."""
from __future__ import annotations

from ..projections import title_stats
from ..schemas.catalog import KindReportSchema, ReportExplainedSchema, ReportFigureQuerySchema, TitleReportSchema
from .access import PUBLIC, PUBLIC_ADMIN_SEES_MORE, SIGNED_IN, allow
from .parsing import Blueprint
from .common import caller_is_admin, db

blp = Blueprint("reports", __name__, url_prefix="/api", description="Reports over the trackers of titles and kinds")


@blp.get("/titles/<int:title_id>/report")
@allow(PUBLIC)
@blp.response(200, TitleReportSchema)
def title_report(title_id):
    with db().read() as conn:
        return title_stats.title_report(conn, title_id)


@blp.get("/titles/<int:title_id>/report/explain")
@allow(PUBLIC_ADMIN_SEES_MORE)
@blp.arguments(ReportFigureQuerySchema(), location="query")
@blp.response(200, ReportExplainedSchema)
def explain_title_report(query, title_id):
    """Which trackers make one figure of the title's report, in parts of one value each with how many
    trackers have it: counts.<status> by the units done (where the trackers in that status stand),
    rating_count and average_rating by the rating given, completion_rate as the completed trackers
    (value 1) and the others (value 0). The counts add up to a count figure; an average or a rate is
    Σ value·count / Σ count. No user is named, except to an admin, whose parts carry user_ids. An
    unknown or missing figure is a 422 naming the figures."""
    with db().read() as conn:
        return title_stats.explain_report(conn, title_id, query["figure"], with_users=caller_is_admin())


@blp.get("/reports/kinds/<kind>")
@allow(SIGNED_IN)
@blp.response(200, KindReportSchema)
def kind_report(kind):
    """The figures of every title of a kind together, and its 10 most tracked titles."""
    with db().read() as conn:
        return title_stats.kind_report(conn, kind)
