"""Reports: a title's figures (public, like the catalog) and a whole kind's (any signed-in user)."""
from __future__ import annotations

from ..projections import title_stats
from ..schemas.catalog import KindReportSchema, TitleReportSchema
from .access import PUBLIC, SIGNED_IN, allow
from .parsing import Blueprint
from .common import db

blp = Blueprint("reports", __name__, url_prefix="/api", description="Reports over the trackers of titles and kinds")


@blp.get("/titles/<int:title_id>/report")
@allow(PUBLIC)
@blp.response(200, TitleReportSchema)
def title_report(title_id):
    with db().read() as conn:
        return title_stats.title_report(conn, title_id)


@blp.get("/reports/kinds/<kind>")
@allow(SIGNED_IN)
@blp.response(200, KindReportSchema)
def kind_report(kind):
    """The figures of every title of a kind together, and its 10 most tracked titles."""
    with db().read() as conn:
        return title_stats.kind_report(conn, kind)
