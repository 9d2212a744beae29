/* RtcEmbeddedSignaller: runs rtc::signaling::Server on its own thread and implements RtcSignaller
 * for one local peer.
 *
 * Threads: start()/stop() and the methods run on element threads; the server, the Router and
 * every signal emission live on the signaller thread (Runtime, a rtc::ClientLoop). Methods never
 * touch the server directly: they post to that thread, so calls are serialised, never re-enter
 * the Router from a signal handler, and can never run after stop() joined.
 *
 * Lock order: start_lock -> settings_lock; state_lock and the client slot's lock are leaves
 * (never held while taking another lock; attaching is the only thing done under the slot's lock).
 * No lock is held while a signal is emitted or a callback is called.
 */
#include "rtc-embedded-signaller.h"

#include "client-loop.h"
#include "ice-servers.h"
#include "server.h"
#include "string-property.h"
#include "whip-endpoint.h"

#include <condition_variable>
#include <memory>
#include <mutex>

#define DEFAULT_ADDRESS "127.0.0.1:8080"
#define DEFAULT_ROLE RTC_SIGNALLER_ROLE_PRODUCER
#define DEFAULT_MAX_MESSAGE_SIZE 65536
#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_WHIP_WHEP TRUE
#define DEFAULT_CORS_ALLOW_ORIGIN "*"
#define DEFAULT_WHIP_GATHER_TIMEOUT 1000
#define DEFAULT_TURN_CREDENTIAL_LIFETIME 86400

namespace
{

/* A user callback with its destroy notify, shared so a running call keeps it alive. */
struct HttpCallback
{
  RtcHttpBodyFunc func = nullptr;
  gpointer data = nullptr;
  GDestroyNotify notify = nullptr;
  ~HttpCallback ()
  {
    if (notify)
      notify (data);
  }
};

struct Runtime;

/* The element's side of the Router: turns Router callbacks into RtcSignaller signals. */
class LocalHandler : public rtc::signaling::LocalPeer
{
public:
  explicit LocalHandler (Runtime &rt) : rt_ (rt) {}
  void session_requested (const std::string &session_id, const std::string &peer_id,
                          const std::optional<std::string> &offer) override;
  void session_ended (const std::string &session_id) override;
  void sdp (const std::string &session_id, const std::string &type,
            const std::string &sdp) override;
  void ice (const std::string &session_id, guint mline_index,
            const std::string &candidate) override;

private:
  Runtime &rt_;
};

/* Everything that exists between start() and stop(). Fields marked (thread) are only touched
 * on the signaller thread. */
struct Runtime : rtc::ClientLoop
{
  RtcEmbeddedSignaller *self = nullptr;

  /* configuration, copied at start */
  std::string address;
  RtcSignallerRole role = DEFAULT_ROLE;
  std::string meta = "null";
  guint max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  guint max_connections = DEFAULT_MAX_CONNECTIONS;
  bool whip_whep = DEFAULT_WHIP_WHEP;
  std::string auth_token;
  std::string cors_allow_origin = DEFAULT_CORS_ALLOW_ORIGIN;
  guint whip_gather_timeout = DEFAULT_WHIP_GATHER_TIMEOUT;
  rtc::signaling::IceConfig ice, whip_ice;

  /* bind handshake between start() and the thread */
  std::mutex bind_lock;
  std::condition_variable bind_cond;
  bool bind_done = false;
  GError *bind_error = nullptr;
  guint port = 0;
  std::string local_id;

  std::unique_ptr<rtc::signaling::Server> server; /* (thread) */
  LocalHandler handler{ *this };

  ~Runtime () override { g_clear_error (&bind_error); }
};

void
LocalHandler::session_requested (const std::string &session_id, const std::string &peer_id,
                                 const std::optional<std::string> &offer)
{
  if (!rt_.stopping ())
    rtc_signaller_emit_session_requested (RTC_SIGNALLER (rt_.self), session_id.c_str (),
                                          peer_id.c_str (), offer ? offer->c_str () : nullptr);
}

void
LocalHandler::session_ended (const std::string &session_id)
{
  if (!rt_.stopping ())
    rtc_signaller_emit_session_ended (RTC_SIGNALLER (rt_.self), session_id.c_str ());
}

void
LocalHandler::sdp (const std::string &session_id, const std::string &type, const std::string &sdp)
{
  if (!rt_.stopping ())
    rtc_signaller_emit_sdp (RTC_SIGNALLER (rt_.self), session_id.c_str (), type.c_str (),
                            sdp.c_str ());
}

void
LocalHandler::ice (const std::string &session_id, guint mline_index, const std::string &candidate)
{
  if (!rt_.stopping ())
    rtc_signaller_emit_ice (RTC_SIGNALLER (rt_.self), session_id.c_str (), mline_index,
                            candidate.c_str ());
}

} // namespace

struct RtcEmbeddedSignallerPrivate
{
  std::mutex start_lock; /* serialises start() and stop() */

  std::mutex settings_lock;
  std::string address = DEFAULT_ADDRESS;
  RtcSignallerRole role = DEFAULT_ROLE;
  std::string meta; /* as set; "" = unset */
  guint max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  guint max_connections = DEFAULT_MAX_CONNECTIONS;
  bool whip_whep = DEFAULT_WHIP_WHEP;
  std::string auth_token; /* "" = none */
  std::string cors_allow_origin = DEFAULT_CORS_ALLOW_ORIGIN;
  guint whip_gather_timeout = DEFAULT_WHIP_GATHER_TIMEOUT;
  std::string whip_ice_servers; /* as set, comma-separated */
  std::string ice_servers;      /* as set, comma-separated */
  std::string turn_secret;      /* "" = static TURN credentials */
  guint turn_credential_lifetime = DEFAULT_TURN_CREDENTIAL_LIFETIME;

  rtc::ClientSlot<Runtime> client;

  std::mutex state_lock;
  guint port = 0;
  std::string peer_id;
  std::shared_ptr<HttpCallback> stats, metrics;
};

struct _RtcEmbeddedSignaller
{
  GObject parent;
  RtcEmbeddedSignallerPrivate *priv;
};

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_ROLE,
  PROP_META,
  PROP_PEER_ID,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_CONNECTIONS,
  PROP_WHIP_WHEP,
  PROP_AUTH_TOKEN,
  PROP_CORS_ALLOW_ORIGIN,
  PROP_WHIP_GATHER_TIMEOUT,
  PROP_WHIP_ICE_SERVERS,
  PROP_ICE_SERVERS,
  PROP_TURN_SECRET,
  PROP_TURN_CREDENTIAL_LIFETIME,
};

static void rtc_embedded_signaller_iface_init (RtcSignallerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RtcEmbeddedSignaller, rtc_embedded_signaller, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (RTC_TYPE_SIGNALLER,
                                                      rtc_embedded_signaller_iface_init))

/* ---- signaller thread --------------------------------------------------------------------- */

static std::optional<std::string>
call_http (RtcEmbeddedSignaller *self, bool stats)
{
  std::shared_ptr<HttpCallback> cb;
  {
    std::lock_guard lock (self->priv->state_lock);
    cb = stats ? self->priv->stats : self->priv->metrics;
  }
  if (!cb || !cb->func)
    return std::nullopt;
  g_autofree gchar *body = cb->func (cb->data);
  if (!body)
    return std::nullopt;
  return std::string (body);
}

/* The signaller thread: binds, tells start() how that went, serves until stop(). */
static void
run_thread (Runtime *rt)
{
  rtc::signaling::ServerConfig config;
  config.limits.max_message_size = rt->max_message_size;
  config.listener.max_connections = rt->max_connections;
  /* One token for every way in: /whip and /whep (Authorization: Bearer), and /ws (the same
   * header, ?token= or the cookie a page request with ?token= sets), whatever the role. */
  config.producer_token = rt->auth_token;
  config.consumer_token = rt->auth_token;
  config.whip.whip = config.whip.whep = rt->whip_whep;
  config.whip.auth_token = rt->auth_token;
  config.whip.cors_allow_origin = rt->cors_allow_origin;
  config.whip.gather_timeout_ms = rt->whip_gather_timeout;
  config.ice = rt->ice;
  config.whip.ice = rt->whip_ice; /* empty: the pages' ones */
  RtcEmbeddedSignaller *self = rt->self;
  config.stats = [self] () { return call_http (self, true); };
  config.metrics = [self] () { return call_http (self, false); };
  rt->server = std::make_unique<rtc::signaling::Server> (std::move (config));

  GError *error = nullptr;
  const bool ok = rt->server->listen (rt->address, &error);
  std::string local_id;
  if (ok)
    {
      const unsigned role = rt->role == RTC_SIGNALLER_ROLE_CONSUMER ? rtc::proto::kRoleConsumer
                                                                    : rtc::proto::kRoleProducer;
      local_id = rt->server->router ().add_local (&rt->handler, role, rt->meta);
    }
  else
    rt->server.reset ();
  {
    std::lock_guard lock (rt->bind_lock);
    rt->bind_done = true;
    rt->bind_error = error;
    rt->port = ok ? rt->server->port () : 0;
    rt->local_id = local_id;
  }
  rt->bind_cond.notify_one ();

  if (ok)
    {
      rt->run ();
      /* What this teardown schedules (closing streams) runs before the context goes: see
       * ClientLoop::spawn(). */
      rt->server.reset ();
    }
}

/* Runs @fn on the signaller thread, later; dropped if the signaller is not running. */
static void
post (RtcEmbeddedSignaller *self, std::function<void (Runtime &)> fn)
{
  self->priv->client.post ([fn = std::move (fn)] (Runtime &rt) {
    if (rt.server)
      fn (rt);
  });
}

/* ---- RtcSignaller ------------------------------------------------------------------------- */

static gboolean
rtc_embedded_signaller_start (RtcSignaller *signaller, GError **error)
{
  RtcEmbeddedSignaller *self = RTC_EMBEDDED_SIGNALLER (signaller);
  RtcEmbeddedSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  if (priv->client.running ())
    return TRUE;

  auto rt = std::make_unique<Runtime> ();
  rt->self = self;
  {
    std::lock_guard lock (priv->settings_lock);
    rt->address = priv->address;
    rt->role = priv->role;
    rt->max_message_size = priv->max_message_size;
    rt->max_connections = priv->max_connections;
    rt->whip_whep = priv->whip_whep;
    rt->auth_token = priv->auth_token;
    rt->cors_allow_origin = priv->cors_allow_origin;
    rt->whip_gather_timeout = priv->whip_gather_timeout;
    const bool secret = !priv->turn_secret.empty ();
    std::string why;
    if (!rtc::signaling::parse_ice_servers (priv->ice_servers, secret, rt->ice.servers, &why)
        || !rtc::signaling::parse_ice_servers (priv->whip_ice_servers, secret, rt->whip_ice.servers,
                                               &why))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "property ice-servers / whip-ice-servers: %s", why.c_str ());
        return FALSE;
      }
    for (auto *ice : { &rt->ice, &rt->whip_ice })
      {
        ice->turn_secret = priv->turn_secret;
        ice->credential_lifetime = priv->turn_credential_lifetime;
      }
    if (!priv->meta.empty ())
      {
        std::string err;
        std::optional<std::string> meta = rtc::proto::normalize_meta (priv->meta, err);
        if (!meta)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "property meta: %s",
                         err.c_str ());
            return FALSE;
          }
        rt->meta = *meta;
      }
  }

  rt->spawn ("rtcsignaller", [rt = rt.get ()] { run_thread (rt); });
  {
    std::unique_lock lock (rt->bind_lock);
    rt->bind_cond.wait (lock, [&] { return rt->bind_done; });
  }
  if (rt->bind_error)
    {
      rt->join ();
      g_propagate_error (error, rt->bind_error);
      rt->bind_error = nullptr;
      return FALSE;
    }

  {
    std::lock_guard lock (priv->state_lock);
    priv->port = rt->port;
    priv->peer_id = rt->local_id;
  }
  priv->client.put (rt.release ());
  g_object_notify (G_OBJECT (self), "port");
  g_object_notify (G_OBJECT (self), "peer-id");
  return TRUE;
}

static void
shutdown_start (Runtime *rt)
{
  if (rt->server)
    rt->server->shutdown ();
  /* Give peers a moment to receive endSession and acknowledge the close frame. */
  rt->quit_when ([rt] { return !rt->server || rt->server->router ().remote_count () == 0; },
                 g_get_monotonic_time () + G_USEC_PER_SEC / 2);
}

static void
rtc_embedded_signaller_stop (RtcSignaller *signaller)
{
  RtcEmbeddedSignaller *self = RTC_EMBEDDED_SIGNALLER (signaller);
  RtcEmbeddedSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  std::unique_ptr<Runtime> rt = priv->client.take ();
  if (!rt)
    return;
  {
    std::lock_guard lock (priv->state_lock);
    priv->port = 0;
    priv->peer_id.clear ();
  }
  /* Calls posted before take() still go out. */
  rt->stop ([rt = rt.get ()] { shutdown_start (rt); });
  rt.reset ();
  g_object_notify (G_OBJECT (self), "port");
  g_object_notify (G_OBJECT (self), "peer-id");
}

static void
rtc_embedded_signaller_send_sdp (RtcSignaller *signaller, const gchar *session_id,
                                 const gchar *type, const gchar *sdp)
{
  post (RTC_EMBEDDED_SIGNALLER (signaller),
        [sid = std::string (session_id), body = rtc::proto::SdpBody{ type, sdp }] (Runtime &rt) {
          rt.server->router ().local_send_sdp (rt.local_id, sid, body);
        });
}

static void
rtc_embedded_signaller_send_ice (RtcSignaller *signaller, const gchar *session_id,
                                 guint mline_index, const gchar *candidate)
{
  post (RTC_EMBEDDED_SIGNALLER (signaller),
        [sid = std::string (session_id), body = rtc::proto::IceBody{ candidate, mline_index }] (
            Runtime &rt) { rt.server->router ().local_send_ice (rt.local_id, sid, body); });
}

static void
rtc_embedded_signaller_end_session (RtcSignaller *signaller, const gchar *session_id,
                                    const gchar *reason)
{
  std::optional<std::string> why;
  if (reason)
    why = reason;
  post (RTC_EMBEDDED_SIGNALLER (signaller), [sid = std::string (session_id), why] (Runtime &rt) {
    rt.server->router ().local_end_session (rt.local_id, sid, why);
  });
}

static void
rtc_embedded_signaller_iface_init (RtcSignallerInterface *iface)
{
  iface->start = rtc_embedded_signaller_start;
  iface->stop = rtc_embedded_signaller_stop;
  iface->send_sdp = rtc_embedded_signaller_send_sdp;
  iface->send_ice = rtc_embedded_signaller_send_ice;
  iface->end_session = rtc_embedded_signaller_end_session;
  iface->set_http_bodies = [] (RtcSignaller *s, RtcHttpBodyFunc stats, RtcHttpBodyFunc metrics,
                               gpointer data) {
    rtc_embedded_signaller_set_stats_func (RTC_EMBEDDED_SIGNALLER (s), stats, data, nullptr);
    rtc_embedded_signaller_set_metrics_func (RTC_EMBEDDED_SIGNALLER (s), metrics, data, nullptr);
  };
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
set_http_callback (RtcEmbeddedSignaller *self, bool stats, RtcHttpBodyFunc func, gpointer user_data,
                   GDestroyNotify notify)
{
  g_return_if_fail (RTC_IS_EMBEDDED_SIGNALLER (self));
  auto cb = std::make_shared<HttpCallback> ();
  cb->func = func;
  cb->data = user_data;
  cb->notify = notify;
  std::shared_ptr<HttpCallback> old;
  {
    std::lock_guard lock (self->priv->state_lock);
    std::shared_ptr<HttpCallback> &slot = stats ? self->priv->stats : self->priv->metrics;
    old = std::move (slot);
    slot = func ? std::move (cb) : nullptr;
  }
  /* old's notify runs when old goes out of scope here, outside the lock, or after a request
   * that is using it finishes. */
}

void
rtc_embedded_signaller_set_stats_func (RtcEmbeddedSignaller *self, RtcHttpBodyFunc func,
                                       gpointer user_data, GDestroyNotify notify)
{
  set_http_callback (self, true, func, user_data, notify);
}

void
rtc_embedded_signaller_set_metrics_func (RtcEmbeddedSignaller *self, RtcHttpBodyFunc func,
                                         gpointer user_data, GDestroyNotify notify)
{
  set_http_callback (self, false, func, user_data, notify);
}

static void
rtc_embedded_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  RtcEmbeddedSignallerPrivate *priv = RTC_EMBEDDED_SIGNALLER (object)->priv;
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_ADDRESS:
      rtc::set_string_property (priv->address, value, DEFAULT_ADDRESS);
      break;
    case PROP_ROLE:
      priv->role = static_cast<RtcSignallerRole> (g_value_get_enum (value));
      break;
    case PROP_META:
      rtc::set_string_property (priv->meta, value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      priv->max_message_size = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS:
      priv->max_connections = g_value_get_uint (value);
      break;
    case PROP_WHIP_WHEP:
      priv->whip_whep = g_value_get_boolean (value);
      break;
    case PROP_AUTH_TOKEN:
      rtc::set_string_property (priv->auth_token, value);
      break;
    case PROP_CORS_ALLOW_ORIGIN:
      rtc::set_string_property (priv->cors_allow_origin, value);
      break;
    case PROP_WHIP_GATHER_TIMEOUT:
      priv->whip_gather_timeout = g_value_get_uint (value);
      break;
    case PROP_WHIP_ICE_SERVERS:
      rtc::set_string_property (priv->whip_ice_servers, value);
      break;
    case PROP_ICE_SERVERS:
      rtc::set_string_property (priv->ice_servers, value);
      break;
    case PROP_TURN_SECRET:
      rtc::set_string_property (priv->turn_secret, value);
      break;
    case PROP_TURN_CREDENTIAL_LIFETIME:
      priv->turn_credential_lifetime = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_embedded_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  RtcEmbeddedSignallerPrivate *priv = RTC_EMBEDDED_SIGNALLER (object)->priv;
  switch (prop_id)
    {
    case PROP_ADDRESS:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_string (value, priv->address.c_str ());
        break;
      }
    case PROP_ROLE:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_enum (value, priv->role);
        break;
      }
    case PROP_META:
      {
        std::lock_guard lock (priv->settings_lock);
        rtc::get_string_property (value, priv->meta);
        break;
      }
    case PROP_MAX_MESSAGE_SIZE:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_uint (value, priv->max_message_size);
        break;
      }
    case PROP_MAX_CONNECTIONS:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_uint (value, priv->max_connections);
        break;
      }
    case PROP_WHIP_WHEP:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_boolean (value, priv->whip_whep);
        break;
      }
    case PROP_AUTH_TOKEN:
      {
        std::lock_guard lock (priv->settings_lock);
        rtc::get_string_property (value, priv->auth_token);
        break;
      }
    case PROP_CORS_ALLOW_ORIGIN:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_string (value, priv->cors_allow_origin.c_str ());
        break;
      }
    case PROP_WHIP_GATHER_TIMEOUT:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_uint (value, priv->whip_gather_timeout);
        break;
      }
    case PROP_WHIP_ICE_SERVERS:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_string (value, priv->whip_ice_servers.c_str ());
        break;
      }
    case PROP_ICE_SERVERS:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_string (value, priv->ice_servers.c_str ());
        break;
      }
    case PROP_TURN_SECRET:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_string (value,
                            priv->turn_secret.empty () ? nullptr : priv->turn_secret.c_str ());
        break;
      }
    case PROP_TURN_CREDENTIAL_LIFETIME:
      {
        std::lock_guard lock (priv->settings_lock);
        g_value_set_uint (value, priv->turn_credential_lifetime);
        break;
      }
    case PROP_PORT:
      {
        std::lock_guard lock (priv->state_lock);
        g_value_set_uint (value, priv->port);
        break;
      }
    case PROP_PEER_ID:
      {
        std::lock_guard lock (priv->state_lock);
        rtc::get_string_property (value, priv->peer_id);
        break;
      }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_embedded_signaller_dispose (GObject *object)
{
  /* The thread holds a raw pointer to us: it must be gone before we are. */
  rtc_embedded_signaller_stop (RTC_SIGNALLER (object));
  G_OBJECT_CLASS (rtc_embedded_signaller_parent_class)->dispose (object);
}

static void
rtc_embedded_signaller_finalize (GObject *object)
{
  delete RTC_EMBEDDED_SIGNALLER (object)->priv;
  G_OBJECT_CLASS (rtc_embedded_signaller_parent_class)->finalize (object);
}

static void
rtc_embedded_signaller_init (RtcEmbeddedSignaller *self)
{
  self->priv = new RtcEmbeddedSignallerPrivate ();
}

static void
rtc_embedded_signaller_class_init (RtcEmbeddedSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = rtc_embedded_signaller_set_property;
  gobject_class->get_property = rtc_embedded_signaller_get_property;
  gobject_class->dispose = rtc_embedded_signaller_dispose;
  gobject_class->finalize = rtc_embedded_signaller_finalize;

  const auto rw = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto ro = static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
                           "HOST:PORT to listen on ([V6]:PORT for IPv6; port 0 picks a free port); "
                           "read at start",
                           DEFAULT_ADDRESS, rw));
  g_object_class_install_property (
      gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port", "The port actually bound (0 when not running)", 0, 65535,
                         0, ro));
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role",
                         "Role of the local peer: producer (sends media) or consumer (receives "
                         "what remote producers publish); read at start",
                         RTC_TYPE_SIGNALLER_ROLE, DEFAULT_ROLE, rw));
  g_object_class_install_property (
      gobject_class, PROP_META,
      g_param_spec_string ("meta", "Meta",
                           "JSON object advertised as the local peer's meta (e.g. "
                           "{\"name\":\"camera\"}); read at start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_PEER_ID,
      g_param_spec_string ("peer-id", "Peer id", "The local peer's id (UUIDv4), set while running",
                           nullptr, ro));
  g_object_class_install_property (
      gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint ("max-message-size", "Max message size",
                         "Largest accepted WebSocket message in bytes; larger ones get an error "
                         "reply; read at start",
                         256, G_MAXINT / 2, DEFAULT_MAX_MESSAGE_SIZE, rw));
  g_object_class_install_property (
      gobject_class, PROP_MAX_CONNECTIONS,
      g_param_spec_uint ("max-connections", "Max connections",
                         "Most HTTP and WebSocket connections at once; the next one gets "
                         "'503 too many connections' (0: no limit); read at start",
                         0, G_MAXINT, DEFAULT_MAX_CONNECTIONS, rw));
  g_object_class_install_property (
      gobject_class, PROP_WHIP_WHEP,
      g_param_spec_boolean ("whip-whep", "WHIP and WHEP",
                            "Serve WHIP ingest on /whip (role consumer) and WHEP playback on "
                            "/whep (role producer); read at start",
                            DEFAULT_WHIP_WHEP, rw));
  g_object_class_install_property (
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           "Bearer token every remote peer must present: 'Authorization: Bearer "
                           "<token>' on /whip, /whep and /ws (or ?token=<token> on a page or /ws "
                           "URL); unset: none needed; read at start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_CORS_ALLOW_ORIGIN,
      g_param_spec_string ("cors-allow-origin", "CORS allowed origin",
                           "Origins whose pages may call /whip and /whep: \"*\" (any), one "
                           "origin, or a comma-separated list; empty sends no CORS headers; read "
                           "at start",
                           DEFAULT_CORS_ALLOW_ORIGIN, rw));
  g_object_class_install_property (
      gobject_class, PROP_WHIP_GATHER_TIMEOUT,
      g_param_spec_uint ("whip-gather-timeout", "WHIP gather timeout",
                         "Milliseconds a WHIP/WHEP answer waits for the element's ICE "
                         "candidates (end of candidates ends the wait sooner); 0 answers at "
                         "once; read at start",
                         0, 60000, DEFAULT_WHIP_GATHER_TIMEOUT, rw));
  g_object_class_install_property (
      gobject_class, PROP_WHIP_ICE_SERVERS,
      g_param_spec_string ("whip-ice-servers", "WHIP ICE servers",
                           "Comma-separated STUN/TURN servers offered to WHIP and WHEP clients in "
                           "Link headers: stun://HOST:PORT, turn(s)://USER:PASS@HOST:PORT"
                           "[?transport=udp]; empty: those of ice-servers; read at start",
                           "", rw));
  g_object_class_install_property (
      gobject_class, PROP_ICE_SERVERS,
      g_param_spec_string ("ice-servers", "ICE servers",
                           "Comma-separated STUN/TURN servers the pages use (every peer's welcome "
                           "message carries them as iceServers) and WHIP/WHEP clients get in "
                           "Link headers: stun://HOST:PORT, turn(s)://USER:PASS@HOST:PORT"
                           "[?transport=tcp], or turn(s)://HOST:PORT with turn-secret; read at "
                           "start",
                           "", rw));
  g_object_class_install_property (
      gobject_class, PROP_TURN_SECRET,
      g_param_spec_string ("turn-secret", "TURN secret",
                           "The TURN server's shared secret (coturn use-auth-secret, the TURN "
                           "REST API scheme): each peer gets a username and password of its own "
                           "that expire after turn-credential-lifetime; read at start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_TURN_CREDENTIAL_LIFETIME,
      g_param_spec_uint ("turn-credential-lifetime", "TURN credential lifetime",
                         "Seconds the TURN credentials made with turn-secret are valid; read at "
                         "start",
                         60, 7 * 86400, DEFAULT_TURN_CREDENTIAL_LIFETIME, rw));
}
