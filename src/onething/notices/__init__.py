"""The written notices (文书), rendered on request: each :class:`~onething.cases.documents.Document`
through a Jinja2 template to HTML with a print stylesheet (A4). The templates ship in
``templates/``; a deployment overrides any of them with a folder of its own
(:func:`~onething.notices.render.render`, ``templates=``). Nothing rendered is stored."""
