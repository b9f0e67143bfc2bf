"""Protect's index in the case store (migration 0013): each source row's fields, normalised once.

``protect_text`` holds, per source row (an item, a forum thread) and field, the normalised words
(core.text.match_words; a field's values joined by ``" \\n "``) and a digest of the raw values they came
from. A scan normalises only rows that are new or whose text changed since. No name of a protected
person is ever stored here (nor anywhere in the store): matches live in the case's private protect/ folder.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unmask.core.store.models import Base


class ProtectText(Base):
    __tablename__ = "protect_text"
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(String(20), primary_key=True)
    digest: Mapped[int] = mapped_column(BigInteger)
    """The first 63 bits of a BLAKE2b digest of the raw values."""
    norm: Mapped[str] = mapped_column(Text)
