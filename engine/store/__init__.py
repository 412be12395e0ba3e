"""SQLAlchemy models and sessions: SQLite embedded by default, PostgreSQL in production."""
