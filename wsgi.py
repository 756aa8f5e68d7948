"""What gunicorn serves: ``gunicorn wsgi:app``."""

from training.app import create_app

app = create_app()
