"""Pages for people: the registry in HTML, Russian and English, drawn on the server.

Every figure on a page comes from the same service functions the API answers with
(app/seizures/totals.py and friends); the pages only arrange and translate them.
"""
