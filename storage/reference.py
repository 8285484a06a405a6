"""Reference data the warehouse needs before any message: the 101 departments
(from `bilan/reference.py`) and the campaign with its deadline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bilan.reference import departments
from bilan.storage.models import Campaign, Department
from bilan.storage.status import closes_at


def seed_reference(session: Session, campaign_name: str, deadline: dt.date, timezone: str) -> Campaign:
    """Insert what is missing (departments, campaign); never duplicates."""
    known = set(session.scalars(select(Department.code)))
    for info in departments():
        if info.code not in known:
            session.add(
                Department(
                    code=info.code,
                    name=info.name,
                    region=info.region,
                    prefecture=info.prefecture,
                    mail_domain=info.domain,
                    other_mail_domain=info.other_domain or None,
                )
            )
    campaign = session.scalar(select(Campaign).where(Campaign.name == campaign_name))
    if campaign is None:
        campaign = Campaign(name=campaign_name, deadline=deadline, timezone=timezone)
        session.add(campaign)
    else:
        campaign.deadline, campaign.timezone = deadline, timezone
    campaign.closes_at = closes_at(campaign)
    session.flush()
    return campaign
