"""Typed keys for what the app and each request carry."""

from aiohttp import web

from emulators.jira.config import User
from emulators.jira.state import JiraState, RecordedRequest

STATE_KEY = web.AppKey("jira_state", JiraState)
USER_KEY = web.RequestKey("jira_user", User)  # the authenticated user
RECORD_KEY = web.RequestKey("jira_record", RecordedRequest)
