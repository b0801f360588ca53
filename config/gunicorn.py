"""gunicorn in production: `gunicorn -c config/gunicorn.py config.wsgi`.

Anything here can be overridden on the command line (`--workers 8`) or in GUNICORN_CMD_ARGS.
"""

bind = "0.0.0.0:8000"
workers = 4

# Threads, not sync workers: an open risk board holds a server-sent event stream for up to
# RISK_BOARD_STREAM_SECONDS, and under sync workers every open board would hold a whole process.
worker_class = "gthread"
threads = 8

# Longer than the idle time of any client or proxy in front, so gunicorn is never the side that
# closes a kept-alive connection just as the client sends on it (the client then gets a reset and
# no answer; seen under load with the default of 2 s). An idle connection holds no thread.
keepalive = 75

# TLS ends at the proxy, which sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = "*"

# No control socket (gunicornc): its default path is one per user, so a second gunicorn on the
# host (the README runs as many as the load needs) would take over the first one's socket.
control_socket_disable = True
