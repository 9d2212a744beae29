/* rtckit-signalling-server: the signalling protocol of docs/protocol.md as a standalone server
 * for many producers, consumers and listeners (no local peer), plus a page listing the live
 * producers. Router and Server are the ones the elements embed; see docs/signalling-server.md. */
#include "ice-servers.h"
#include "server.h"

#include <glib-unix.h>

#include <cstdio>
#include <cstdlib>

#define DEFAULT_ADDRESS "127.0.0.1:8443"
#define DEFAULT_KEEPALIVE 30
#define DEFAULT_MAX_MESSAGE_SIZE 65536
#define DEFAULT_MAX_RATE 200

namespace
{

struct App
{
  GMainLoop *loop = nullptr;
  rtc::signaling::Server *server = nullptr;
  gint64 deadline = 0;
  bool stopping = false;
};

gboolean
shutdown_poll (gpointer data)
{
  auto *app = static_cast<App *> (data);
  /* Give clients a moment to receive the close frame and answer it. */
  if (app->server->router ().remote_count () == 0 || g_get_monotonic_time () >= app->deadline)
    {
      g_main_loop_quit (app->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

gboolean
on_signal (gpointer data)
{
  auto *app = static_cast<App *> (data);
  if (app->stopping)
    return G_SOURCE_CONTINUE;
  app->stopping = true;
  g_printerr ("rtckit-signalling-server: shutting down\n");
  /* Sessions are forgotten, not ended: media flows between the peers, and clients that
   * reconnect (RtcWsSignaller) keep their peer connections. Sockets close with 1001. */
  app->server->shutdown (false);
  app->deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  g_timeout_add (10, shutdown_poll, app);
  return G_SOURCE_CONTINUE;
}

/* Host part of "HOST:PORT" / "[V6]:PORT", for the printed URLs. */
std::string
host_of (const std::string &address)
{
  if (!address.empty () && address[0] == '[')
    return address.substr (0, address.find (']') + 1);
  std::string host = address.substr (0, address.rfind (':'));
  return host == "0.0.0.0" ? "127.0.0.1" : host;
}

std::string
token_option (const gchar *value, const char *env)
{
  if (value)
    return value;
  const char *e = g_getenv (env);
  return e ? e : "";
}

} // namespace

int
main (int argc, char **argv)
{
  g_autofree gchar *address = nullptr, *cert = nullptr, *key = nullptr;
  g_autofree gchar *producer_token = nullptr, *consumer_token = nullptr;
  g_autofree gchar *ice_servers = nullptr, *turn_secret = nullptr;
  gint turn_lifetime = 86400;
  gint max_peers = 0, keepalive = DEFAULT_KEEPALIVE, max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  gint max_rate = DEFAULT_MAX_RATE, max_connections = 1024;
  const GOptionEntry entries[] = {
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address,
      "HOST:PORT to listen on, [V6]:PORT for IPv6, port 0 for a free one (default " DEFAULT_ADDRESS
      ")",
      "HOST:PORT" },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert,
      "TLS certificate (PEM): serve https:// and wss:// only", "FILE" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, "TLS private key (PEM), if not in the --cert file",
      "FILE" },
    { "producer-token", 0, 0, G_OPTION_ARG_STRING, &producer_token,
      "bearer token a producer must present (default: $RTCKIT_PRODUCER_TOKEN; none: anyone may "
      "produce)",
      "TOKEN" },
    { "consumer-token", 0, 0, G_OPTION_ARG_STRING, &consumer_token,
      "bearer token consumers and listeners must present (default: $RTCKIT_CONSUMER_TOKEN; "
      "none: anyone may watch)",
      "TOKEN" },
    { "max-peers", 0, 0, G_OPTION_ARG_INT, &max_peers,
      "most WebSocket peers at once, more are refused with HTTP 503 (default 0: no limit)", "N" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
      "most HTTP and WebSocket connections at once, more get HTTP 503 (default 1024, 0: no "
      "limit)",
      "N" },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT, &max_message_size,
      "largest accepted message in bytes (default 65536)", "BYTES" },
    { "max-rate", 0, 0, G_OPTION_ARG_INT, &max_rate,
      "messages per second and peer before the excess is dropped (default 200)", "N" },
    { "ice-servers", 0, 0, G_OPTION_ARG_STRING, &ice_servers,
      "comma-separated STUN/TURN servers the pages use (every peer's welcome carries them): "
      "stun://HOST:PORT, turn(s)://USER:PASS@HOST:PORT[?transport=tcp], or turn(s)://HOST:PORT "
      "with --turn-secret",
      "URIS" },
    { "turn-secret", 0, 0, G_OPTION_ARG_STRING, &turn_secret,
      "the TURN server's shared secret (coturn use-auth-secret): every peer gets TURN "
      "credentials of its own (or RTCKIT_TURN_SECRET)",
      "SECRET" },
    { "turn-credential-lifetime", 0, 0, G_OPTION_ARG_INT, &turn_lifetime,
      "seconds those credentials are valid (default 86400)", "SECONDS" },
    { "keepalive", 0, 0, G_OPTION_ARG_INT, &keepalive,
      "seconds between WebSocket pings; a peer silent for 3 of them is dropped (default 30, 0: "
      "off)",
      "SECONDS" },
    {},
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- rtckit WebRTC signalling server");
  g_option_context_set_summary (
      ctx, "Signalling for many producers, consumers and listeners over JSON on a WebSocket at\n"
           "/ws (the protocol of gst-plugins-rs' gst-webrtc-signalling-server 1.1). Serves a page\n"
           "listing the live producers at / and the viewer at /?producer=<id>.\n"
           "SIGINT or SIGTERM closes every socket (1001) and exits with status 0.");
  g_option_context_add_main_entries (ctx, entries, nullptr);
  g_autoptr (GError) err = nullptr;
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    {
      g_printerr ("rtckit-signalling-server: %s (see --help)\n", err->message);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("rtckit-signalling-server: unexpected argument '%s' (see --help)\n", argv[1]);
      return 2;
    }
  if (max_peers < 0 || max_connections < 0 || keepalive < 0 || max_message_size < 256
      || max_rate < 1)
    {
      g_printerr ("rtckit-signalling-server: --max-peers, --max-connections and --keepalive "
                  "must be >= 0, "
                  "--max-message-size >= 256, --max-rate >= 1\n");
      return 2;
    }
  if (key && !cert)
    {
      g_printerr ("rtckit-signalling-server: --key needs --cert\n");
      return 2;
    }

  rtc::signaling::ServerConfig config;
  config.ice.turn_secret = token_option (turn_secret, "RTCKIT_TURN_SECRET");
  config.ice.credential_lifetime = static_cast<guint> (MAX (60, turn_lifetime));
  if (ice_servers)
    {
      std::string why;
      if (!rtc::signaling::parse_ice_servers (ice_servers, !config.ice.turn_secret.empty (),
                                              config.ice.servers, &why))
        {
          g_printerr ("rtckit-signalling-server: --ice-servers: %s\n", why.c_str ());
          return 2;
        }
    }
  config.limits.max_message_size = static_cast<gsize> (max_message_size);
  config.limits.max_messages_per_second = static_cast<guint> (max_rate);
  config.root_page = "list.html";
  config.root_viewer_for_producer = true;
  config.producer_token = token_option (producer_token, "RTCKIT_PRODUCER_TOKEN");
  config.consumer_token = token_option (consumer_token, "RTCKIT_CONSUMER_TOKEN");
  config.max_peers = static_cast<guint> (max_peers);
  config.listener.max_connections = static_cast<guint> (max_connections);
  config.keepalive_interval = static_cast<guint> (keepalive);
  config.tls_cert_file = cert ? cert : "";
  config.tls_key_file = key ? key : "";

  rtc::signaling::Server server (std::move (config));
  const std::string addr = address ? address : DEFAULT_ADDRESS;
  if (!server.listen (addr, &err))
    {
      g_printerr ("rtckit-signalling-server: %s\n", err->message);
      return 1;
    }

  const std::string host = host_of (addr);
  const char *s = server.is_tls () ? "s" : "";
  g_print ("rtckit-signalling-server: listening on http%s://%s:%u/ (producers), signalling at "
           "ws%s://%s:%u/ws\n",
           s, host.c_str (), server.port (), s, host.c_str (), server.port ());
  fflush (stdout);

  App app;
  app.loop = g_main_loop_new (nullptr, FALSE);
  app.server = &server;
  g_unix_signal_add (SIGINT, on_signal, &app);
  g_unix_signal_add (SIGTERM, on_signal, &app);
  g_main_loop_run (app.loop);
  g_main_loop_unref (app.loop);
  return 0;
}
