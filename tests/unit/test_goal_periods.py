"""A goal's periods: calendar days, ISO weeks, months and years, cut to the goal's own days."""
from datetime import date

from progress_service.domain.goals import Period, default_name, elapsed_share, periods


def test_months_run_over_the_turn_of_the_year_newest_first():
    current, past = periods("month", date(2026, 11, 15), None, date(2027, 1, 20))
    assert current == Period(date(2027, 1, 1), date(2027, 1, 31))
    assert past == [Period(date(2026, 12, 1), date(2026, 12, 31)), Period(date(2026, 11, 15), date(2026, 11, 30))]


def test_a_goal_not_yet_started_is_in_its_first_period_and_one_that_ended_in_its_last():
    assert periods("year", date(2027, 1, 1), None, date(2026, 12, 3)) == (Period(date(2027, 1, 1),
                                                                                  date(2027, 12, 31)), [])
    current, past = periods("week", date(2026, 1, 7), date(2026, 1, 20), date(2026, 6, 1))
    assert current == Period(date(2026, 1, 19), date(2026, 1, 20))  # Monday and Tuesday
    assert past == [Period(date(2026, 1, 12), date(2026, 1, 18)), Period(date(2026, 1, 7), date(2026, 1, 11))]


def test_a_daily_goal_lists_at_most_its_last_hundred_days_and_february_has_28():
    current, past = periods("day", date(2020, 1, 1), None, date(2026, 3, 1))
    assert current == Period(date(2026, 3, 1), date(2026, 3, 1)) and len(past) == 100
    assert past[0] == Period(date(2026, 2, 28), date(2026, 2, 28))


def test_the_share_of_a_period_gone_counts_today_whole():
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    assert elapsed_share(february, date(2026, 1, 31)) == 0
    assert elapsed_share(february, date(2026, 2, 7)) == 7 / 28
    assert elapsed_share(february, date(2026, 3, 1)) == 1


def test_a_goal_without_a_name_is_named_in_words():
    assert default_name("completions", 20, "year", unit=None, kind="book", title_name=None) == "20 books a year"
    assert default_name("completions", 1, "month", unit=None, kind=None, title_name=None) == "1 title finished a month"
    assert default_name("completions", 2, "year", unit=None, kind=None, title_name="Dune") == "Finish Dune 2 times a year"
    assert default_name("units", 300, "week", unit="page", kind=None, title_name="Dune") == "300 pages of Dune a week"
    assert default_name("entries", 1, "day", unit=None, kind=None, title_name=None) == "1 entry a day"
    assert default_name("entries", 5, "once", unit=None, kind="tv_show", title_name=None) == "5 entries in all"
