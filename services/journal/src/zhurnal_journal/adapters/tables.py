"""The journal database's tables (migrations/ creates them; the kit's tables come first)."""

from sqlalchemy import MetaData

metadata = MetaData()
