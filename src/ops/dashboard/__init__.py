"""The web dashboard of a running bot: live state, operator controls, login (aiohttp).

``src.ops.dashboard.service.dashboard_service`` is the session service that serves it;
``src.ops.dashboard.client`` is what ``ktrade pause|resume|cancel-all|flatten`` talk through.
"""
