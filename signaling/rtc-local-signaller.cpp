/* RtcLocalSignaller: see rtc-local-signaller.h.
 *
 * Lock order: start_lock (per signaller, serialises start and stop) -> registry lock (one for
 * the process, a leaf: held to look up peers and sessions, and to post to their threads, never
 * while emitting). */
#include "rtc-local-signaller.h"

#include "client-loop.h"
#include "string-property.h"

#include <gio/gio.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#define DEFAULT_URI "local://default"
#define DEFAULT_ROLE RTC_SIGNALLER_ROLE_PRODUCER

namespace
{

/* One started signaller, as the registry knows it. */
struct Endpoint
{
  RtcLocalSignaller *self = nullptr; /* valid while registered: stop() unregisters first */
  std::string name, peer_id;
  RtcSignallerRole role = DEFAULT_ROLE;
  std::unique_ptr<rtc::ClientLoop> loop;
};

struct LocalSession
{
  std::shared_ptr<Endpoint> producer, consumer;
  std::shared_ptr<Endpoint>
  other (const Endpoint *e) const
  {
    return producer.get () == e ? consumer : producer;
  }
};

/* The process-wide meeting point. */
struct Registry
{
  std::mutex lock;
  std::map<std::string, std::vector<std::shared_ptr<Endpoint>>> names;
  std::map<std::string, LocalSession> sessions;
};

Registry &
registry ()
{
  static Registry *r = new Registry (); /* never freed: signallers may stop at exit */
  return *r;
}

/* Runs @fn on @e's thread with its signaller (call with the registry lock held, so @e is still
 * registered and its thread still running when the work is queued). */
void
post_to (const std::shared_ptr<Endpoint> &e, std::function<void (RtcSignaller *)> fn)
{
  RtcSignaller *sig = RTC_SIGNALLER (e->self);
  e->loop->post ([sig, fn = std::move (fn)] { fn (sig); });
}

/* Registry lock held: a session between @producer and @consumer, announced to both. */
void
open_session (Registry &r, const std::shared_ptr<Endpoint> &producer,
              const std::shared_ptr<Endpoint> &consumer)
{
  g_autofree gchar *uuid = g_uuid_string_random ();
  const std::string sid = uuid;
  r.sessions[sid] = LocalSession{ producer, consumer };
  /* The consumer knows the session before the producer's offer can reach it. */
  post_to (consumer, [sid, pid = producer->peer_id] (RtcSignaller *s) {
    rtc_signaller_emit_session_requested (s, sid.c_str (), pid.c_str (), nullptr);
  });
  post_to (producer, [sid, cid = consumer->peer_id] (RtcSignaller *s) {
    rtc_signaller_emit_session_requested (s, sid.c_str (), cid.c_str (), nullptr);
  });
}

/* Registry lock held: the other side of @sid when @from is in it. */
std::shared_ptr<Endpoint>
peer_of (Registry &r, const std::string &sid, const Endpoint *from)
{
  auto it = r.sessions.find (sid);
  if (it == r.sessions.end ()
      || (it->second.producer.get () != from && it->second.consumer.get () != from))
    return nullptr;
  return it->second.other (from);
}

bool
valid_name (const std::string &name)
{
  if (name.empty () || name.size () > 200)
    return false;
  for (char c : name)
    if (!g_ascii_isalnum (c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

} // namespace

struct RtcLocalSignallerPrivate
{
  std::mutex start_lock;

  std::mutex settings_lock;
  std::string uri = DEFAULT_URI;
  RtcSignallerRole role = DEFAULT_ROLE;

  std::shared_ptr<Endpoint> endpoint; /* while started; guarded by start_lock */
  std::mutex state_lock;              /* guards peer_id (a leaf) */
  std::string peer_id;
};

struct _RtcLocalSignaller
{
  GObject parent;
  RtcLocalSignallerPrivate *priv;
};

enum
{
  PROP_0,
  PROP_URI,
  PROP_ROLE,
  PROP_PEER_ID,
};

static void rtc_local_signaller_iface_init (RtcSignallerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RtcLocalSignaller, rtc_local_signaller, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (RTC_TYPE_SIGNALLER,
                                                      rtc_local_signaller_iface_init))

/* The endpoint of a started signaller (a new reference), or null. */
static std::shared_ptr<Endpoint>
endpoint_of (RtcLocalSignaller *self)
{
  std::lock_guard lock (self->priv->start_lock);
  return self->priv->endpoint;
}

static gboolean
rtc_local_signaller_start (RtcSignaller *signaller, GError **error)
{
  RtcLocalSignaller *self = RTC_LOCAL_SIGNALLER (signaller);
  RtcLocalSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  if (priv->endpoint)
    return TRUE;
  std::string uri;
  auto e = std::make_shared<Endpoint> ();
  {
    std::lock_guard lock (priv->settings_lock);
    uri = priv->uri;
    e->role = priv->role;
  }
  const std::string prefix = "local://";
  if (uri.compare (0, prefix.size (), prefix) != 0 || !valid_name (uri.substr (prefix.size ())))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "invalid local signalling URI '%s': expected local://NAME with a NAME of "
                   "letters, digits, '-', '_' and '.'",
                   uri.c_str ());
      return FALSE;
    }
  e->self = self;
  e->name = uri.substr (prefix.size ());
  g_autofree gchar *uuid = g_uuid_string_random ();
  e->peer_id = uuid;
  e->loop = std::make_unique<rtc::ClientLoop> ();
  rtc::ClientLoop *loop = e->loop.get ();
  loop->spawn ("rtclocalsignal", [loop] { loop->run (); });
  {
    std::lock_guard lock (priv->state_lock);
    priv->peer_id = e->peer_id;
  }
  priv->endpoint = e;
  Registry &r = registry ();
  {
    std::lock_guard lock (r.lock);
    auto &here = r.names[e->name];
    for (auto &other : here)
      if (other->role != e->role)
        open_session (r, e->role == RTC_SIGNALLER_ROLE_PRODUCER ? e : other,
                      e->role == RTC_SIGNALLER_ROLE_CONSUMER ? e : other);
    here.push_back (e);
  }
  g_object_notify (G_OBJECT (self), "peer-id");
  return TRUE;
}

static void
rtc_local_signaller_stop (RtcSignaller *signaller)
{
  RtcLocalSignaller *self = RTC_LOCAL_SIGNALLER (signaller);
  RtcLocalSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  std::shared_ptr<Endpoint> e = std::move (priv->endpoint);
  if (!e)
    return;
  Registry &r = registry ();
  {
    std::lock_guard lock (r.lock);
    auto &here = r.names[e->name];
    std::erase (here, e);
    if (here.empty ())
      r.names.erase (e->name);
    for (auto it = r.sessions.begin (); it != r.sessions.end ();)
      {
        if (it->second.producer != e && it->second.consumer != e)
          {
            ++it;
            continue;
          }
        post_to (it->second.other (e.get ()), [sid = it->first] (RtcSignaller *s) {
          rtc_signaller_emit_session_ended (s, sid.c_str ());
        });
        it = r.sessions.erase (it);
      }
  }
  /* Nothing can be posted to us any more: let what was, run, then end the thread. */
  rtc::ClientLoop *loop = e->loop.get ();
  loop->stop ([loop] { loop->quit (); });
  {
    std::lock_guard lock (priv->state_lock);
    priv->peer_id.clear ();
  }
  g_object_notify (G_OBJECT (self), "peer-id");
}

/* Forwards to the other side of @sid with @fn (nothing when the session is over). */
static void
forward (RtcSignaller *signaller, const gchar *session_id,
         std::function<void (RtcSignaller *)> fn)
{
  std::shared_ptr<Endpoint> e = endpoint_of (RTC_LOCAL_SIGNALLER (signaller));
  if (!e || !session_id)
    return;
  Registry &r = registry ();
  std::lock_guard lock (r.lock);
  if (auto other = peer_of (r, session_id, e.get ()))
    post_to (other, std::move (fn));
}

static void
rtc_local_signaller_send_sdp (RtcSignaller *signaller, const gchar *session_id, const gchar *type,
                              const gchar *sdp)
{
  forward (signaller, session_id,
           [sid = std::string (session_id), t = std::string (type), body = std::string (sdp)] (
               RtcSignaller *s) { rtc_signaller_emit_sdp (s, sid.c_str (), t.c_str (), body.c_str ()); });
}

static void
rtc_local_signaller_send_ice (RtcSignaller *signaller, const gchar *session_id, guint mline_index,
                              const gchar *candidate)
{
  /* webrtcbin 1.22 takes an empty candidate (end of candidates) for a malformed one. */
  if (!candidate || !*candidate)
    return;
  forward (signaller, session_id,
           [sid = std::string (session_id), mline_index, c = std::string (candidate)] (
               RtcSignaller *s) { rtc_signaller_emit_ice (s, sid.c_str (), mline_index, c.c_str ()); });
}

static void
rtc_local_signaller_end_session (RtcSignaller *signaller, const gchar *session_id,
                                 const gchar *reason)
{
  std::shared_ptr<Endpoint> e = endpoint_of (RTC_LOCAL_SIGNALLER (signaller));
  if (!e || !session_id)
    return;
  Registry &r = registry ();
  std::lock_guard lock (r.lock);
  auto other = peer_of (r, session_id, e.get ());
  if (!other)
    return;
  if (reason)
    g_debug ("rtckit local signalling: session %s ended: %s", session_id, reason);
  r.sessions.erase (session_id);
  post_to (other, [sid = std::string (session_id)] (RtcSignaller *s) {
    rtc_signaller_emit_session_ended (s, sid.c_str ());
  });
}

static void
rtc_local_signaller_iface_init (RtcSignallerInterface *iface)
{
  iface->start = rtc_local_signaller_start;
  iface->stop = rtc_local_signaller_stop;
  iface->send_sdp = rtc_local_signaller_send_sdp;
  iface->send_ice = rtc_local_signaller_send_ice;
  iface->end_session = rtc_local_signaller_end_session;
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
rtc_local_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  RtcLocalSignallerPrivate *priv = RTC_LOCAL_SIGNALLER (object)->priv;
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      rtc::set_string_property (priv->uri, value, DEFAULT_URI);
      break;
    case PROP_ROLE:
      priv->role = static_cast<RtcSignallerRole> (g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_local_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                  GParamSpec *pspec)
{
  RtcLocalSignallerPrivate *priv = RTC_LOCAL_SIGNALLER (object)->priv;
  if (prop_id == PROP_PEER_ID)
    {
      std::lock_guard lock (priv->state_lock);
      g_value_set_string (value, priv->peer_id.empty () ? nullptr : priv->peer_id.c_str ());
      return;
    }
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      rtc::get_string_property (value, priv->uri);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, priv->role);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_local_signaller_finalize (GObject *object)
{
  RtcLocalSignaller *self = RTC_LOCAL_SIGNALLER (object);
  rtc_local_signaller_stop (RTC_SIGNALLER (self));
  delete self->priv;
  G_OBJECT_CLASS (rtc_local_signaller_parent_class)->finalize (object);
}

static void
rtc_local_signaller_class_init (RtcLocalSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = rtc_local_signaller_set_property;
  gobject_class->get_property = rtc_local_signaller_get_property;
  gobject_class->finalize = rtc_local_signaller_finalize;
  const auto rw = GParamFlags (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
                           "local://NAME: elements of this process with the same NAME signal to "
                           "each other in memory (read at start)",
                           DEFAULT_URI, rw));
  g_object_class_install_property (
      gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role", "Producer (sends media) or consumer (receives it)",
                         RTC_TYPE_SIGNALLER_ROLE, DEFAULT_ROLE, rw));
  g_object_class_install_property (
      gobject_class, PROP_PEER_ID,
      g_param_spec_string ("peer-id", "Peer id", "Our id while started (NULL otherwise)",
                           nullptr, GParamFlags (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

static void
rtc_local_signaller_init (RtcLocalSignaller *self)
{
  self->priv = new RtcLocalSignallerPrivate ();
}
