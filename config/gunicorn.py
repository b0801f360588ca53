"""gunicorn in production (docs/operations.md, "Serving"), two servers from this one file:

    gunicorn -c config/gunicorn.py config.wsgi                       # pages and the API
    gunicorn -c config/gunicorn.py config.asgi -k uvicorn_worker.UvicornWorker \
        --workers 1 --bind 0.0.0.0:8001                               # the risk board's events

Anything here can be overridden on the command line (`--workers 8`) or in GUNICORN_CMD_ARGS.
"""

bind = "0.0.0.0:8000"
workers = 4

# Pages are sync Django: threads, which measured cheaper per page than the same app under
# uvicorn workers (docs/operations.md). The risk board's event stream is not served here: the
# proxy sends /staff/risk/events to the ASGI server, where an open board holds no thread. (If
# a board does reach this server, it still works: it holds a thread while open.)
worker_class = "gthread"
threads = 8

# Longer than the idle time of any client or proxy in front, so gunicorn is never the side that
# closes a kept-alive connection just as the client sends on it (the client then gets a reset and
# no answer; seen under load with the default of 2 s). An idle connection holds no thread.
# The uvicorn worker takes it as its keep-alive timeout too.
keepalive = 75

# TLS ends at the proxy, which sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = "*"

# No control socket (gunicornc): its default path is one per user, so a second gunicorn on the
# host (the README runs as many as the load needs) would take over the first one's socket.
control_socket_disable = True
