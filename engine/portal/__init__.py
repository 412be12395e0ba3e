"""The applicant side and the statistics (issue 14): the item list, online application,
progress look-up, ratings and complaints, public notices, and the dashboard's aggregates.
`engine.portal.service.PortalService` is mixed into the Engine; pages call only that."""
