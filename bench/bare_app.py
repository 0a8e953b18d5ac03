"""The API baseline: a bare Flask app doing one primary-key SELECT on the same database.

Served by gunicorn with the same settings as our APIs:
``gunicorn -c python:shared.web.gunicorn_config 'bench.bare_app:create_app()'``.
"""

import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text


def create_app() -> Flask:
    app = Flask("bare")
    engine = create_engine(os.environ["INTAKE_DATABASE_URL"], pool_size=5)

    @app.get("/clients/<client_id>")
    def client(client_id):
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT id, status FROM clients WHERE id = :id"), {"id": client_id}
            ).one_or_none()
        return jsonify(id=str(row.id), status=row.status) if row else ("", 404)

    return app
