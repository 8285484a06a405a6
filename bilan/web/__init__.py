"""`bilan serve`: the campaign team's web application, in French.

One module per concept: the application and what it holds (`app.py`),
accounts, passwords, sessions and roles (`auth.py`), the headers and CSRF
tokens every response and form carries (`security.py`), how pages are drawn
(`rendering.py`), then one module per group of pages: the campaign
(`campaign.py`), a department (`departments.py`), a message and its files
(`messages.py`, the original files in `files.py`), the review queue
(`review.py`), search (`search.py`), corrections (`corrections.py`) and the
accounts page (`accounts.py`). Templates are in `templates/`, the one style
sheet in `static/`: no script at all, so the Content-Security-Policy
allows none.
"""
