"""Due timers fired by APScheduler; the database is the source of truth."""
