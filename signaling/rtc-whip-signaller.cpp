/* RtcWhipSignaller: see rtc-whip-signaller.h.
 *
 * Threads: start()/stop() and the methods run on element threads; the SoupSession, every request
 * and every signal emission live on the signaller thread (Runtime, a rtc::ClientLoop). Methods post
 * to that thread, so calls keep their order and never re-enter a handler.
 *
 * Lock order: start_lock -> settings_lock; state_lock and the client slot's lock are leaves. No
 * lock is held while a signal is emitted or a property notified.
 */
#include "rtc-whip-signaller.h"

#include "client-loop.h"
#include "sdp-text.h"
#include "string-property.h"
#include "whip-reply.h"

#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#define DEFAULT_TIMEOUT 10000
#define DEFAULT_GATHER_TIMEOUT 1000
#define DEFAULT_RETRIES 0
#define RETRY_INTERVAL_MS 1000
/* Candidates that arrive together go out in one PATCH. */
#define PATCH_BATCH_MS 20

namespace
{

struct Runtime : rtc::ClientLoop
{
  RtcWhipSignaller *self = nullptr;

  /* configuration, copied at start */
  std::string uri, token;
  guint retries = DEFAULT_RETRIES, timeout_ms = DEFAULT_TIMEOUT;
  guint gather_ms = DEFAULT_GATHER_TIMEOUT;

  /* (thread) below */
  rtc::HttpClient http; /* its cancellable: every request but the final DELETE */

  std::string sid; /* the session; "" once ended */
  std::string offer, post_body;
  bool posted = false;   /* the POST went out (or is being retried) */
  bool answered = false; /* 201 received */
  bool complete = false; /* end of candidates seen */
  bool eoc_pending = false;
  guint attempts = 0;
  std::vector<std::pair<guint, std::string>> cands; /* before the POST, or queued for PATCH */
  rtc::Timer gather_timer, retry_timer, patch_timer;
  std::string resource, etag;
  bool trickle = true, patch_inflight = false;
  /* from the offer, for trickle-ice-sdpfrag bodies */
  std::string ufrag, pwd;
  std::vector<std::string> mlines, mids;
};

} // namespace

struct RtcWhipSignallerPrivate
{
  std::mutex start_lock;

  std::mutex settings_lock;
  std::string uri, token;
  guint retries = DEFAULT_RETRIES, timeout_ms = DEFAULT_TIMEOUT;
  guint gather_ms = DEFAULT_GATHER_TIMEOUT;

  rtc::ClientSlot<Runtime> client;

  std::mutex state_lock;
  std::vector<std::string> ice_servers;
  std::string resource;
};

struct _RtcWhipSignaller
{
  GObject parent;
  RtcWhipSignallerPrivate *priv;
};

enum
{
  PROP_0,
  PROP_URI,
  PROP_AUTH_TOKEN,
  PROP_RETRIES,
  PROP_TIMEOUT,
  PROP_GATHER_TIMEOUT,
  PROP_ICE_SERVERS,
  PROP_RESOURCE_URL,
};

static void rtc_whip_signaller_iface_init (RtcSignallerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RtcWhipSignaller, rtc_whip_signaller, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (RTC_TYPE_SIGNALLER,
                                                      rtc_whip_signaller_iface_init))

/* ---- text helpers (no state) -------------------------------------------------------------- */

using rtc::sdp::split_lines;

gchar *
rtc_whip_sdp_add_candidates (const gchar *sdp, const guint *mlines, const gchar *const *candidates,
                             gboolean complete)
{
  std::vector<std::pair<guint, std::string>> cands;
  for (guint i = 0; candidates && candidates[i]; i++)
    cands.emplace_back (mlines[i], candidates[i]);
  return g_strdup (rtc::sdp::add_candidates (sdp ? sdp : "", cands, complete).c_str ());
}

gchar **
rtc_whip_parse_ice_servers (const gchar *link_header)
{
  const std::vector<std::string> servers
      = rtc::whip::parse_ice_servers (link_header ? link_header : "");
  gchar **out = g_new0 (gchar *, servers.size () + 1);
  for (size_t i = 0; i < servers.size (); i++)
    out[i] = g_strdup (servers[i].c_str ());
  return out;
}

/* ---- signaller thread --------------------------------------------------------------------- */

using Done = rtc::HttpClient::Done;

/* Sends @method to @url; @done runs on this thread with the message and the body or an error. */
static bool
send_request (Runtime *rt, const char *method, const std::string &url, const char *content_type,
              const std::string &body, GCancellable *cancel, Done done)
{
  SoupMessage *msg = soup_message_new (method, url.c_str ());
  if (!msg)
    return false;
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  if (!rt->token.empty ())
    {
      g_autofree gchar *auth = g_strdup_printf ("Bearer %s", rt->token.c_str ());
      soup_message_headers_replace (h, "Authorization", auth);
    }
  if (g_str_equal (method, "PATCH") && !rt->etag.empty ())
    soup_message_headers_replace (h, "If-Match", rt->etag.c_str ());
  if (content_type)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body.data (), body.size ());
      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  rt->http.send (msg, cancel, std::move (done));
  return true;
}

static std::string
describe_failure (SoupMessage *msg, GBytes *body, GError *err)
{
  return err ? err->message : rtc::describe_http_status (msg, body);
}

static void flush_patch (Runtime *rt);

static void
schedule_patch (Runtime *rt)
{
  if (!rt->patch_timer.pending () && rt->answered)
    rt->patch_timer.once (rt->context (), PATCH_BATCH_MS, [rt] { flush_patch (rt); });
}

/* Queued local candidates to the resource as one trickle-ice-sdpfrag (RFC 8840) PATCH. */
static void
flush_patch (Runtime *rt)
{
  if (!rt->trickle || rt->resource.empty () || rt->sid.empty ())
    {
      rt->cands.clear ();
      rt->eoc_pending = false;
      return;
    }
  if (rt->patch_inflight || (rt->cands.empty () && !rt->eoc_pending))
    return;
  std::string frag = "a=ice-ufrag:" + rt->ufrag + "\r\na=ice-pwd:" + rt->pwd + "\r\n";
  for (size_t m = 0; m < rt->mlines.size (); m++)
    {
      std::string lines;
      for (const auto &[mline, cand] : rt->cands)
        if (mline == m)
          lines += "a=" + cand + "\r\n";
      if (rt->eoc_pending)
        lines += "a=end-of-candidates\r\n";
      if (lines.empty ())
        continue;
      frag += rt->mlines[m] + "\r\n";
      if (!rt->mids[m].empty ())
        frag += "a=mid:" + rt->mids[m] + "\r\n";
      frag += lines;
    }
  rt->cands.clear ();
  rt->eoc_pending = false;
  rt->patch_inflight = true;
  const std::string sid = rt->sid;
  send_request (rt, "PATCH", rt->resource, "application/trickle-ice-sdpfrag", frag,
                rt->http.cancellable (), [rt, sid] (SoupMessage *msg, GBytes *body, GError *err) {
                  rt->patch_inflight = false;
                  if (rt->stopping () || rt->sid != sid)
                    return;
                  const guint status = err ? 0 : soup_message_get_status (msg);
                  if (status == SOUP_STATUS_METHOD_NOT_ALLOWED
                      || status == SOUP_STATUS_NOT_IMPLEMENTED)
                    {
                      g_debug ("rtckit whip: %s does not take trickled candidates (HTTP %u)",
                               rt->resource.c_str (), status);
                      rt->trickle = false;
                      rt->cands.clear ();
                      return;
                    }
                  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
                    g_message ("rtckit whip: trickle PATCH to %s failed: %s",
                               rt->resource.c_str (), describe_failure (msg, body, err).c_str ());
                  else if (const char *etag = soup_message_headers_get_one (
                               soup_message_get_response_headers (msg), "ETag"))
                    rt->etag = etag;
                  flush_patch (rt);
                });
}

static void
set_state (Runtime *rt, const std::string &resource, std::vector<std::string> *servers)
{
  RtcWhipSignallerPrivate *priv = rt->self->priv;
  {
    std::lock_guard lock (priv->state_lock);
    priv->resource = resource;
    if (servers)
      priv->ice_servers = *servers;
  }
  g_object_notify (G_OBJECT (rt->self), "resource-url");
  if (servers)
    g_object_notify (G_OBJECT (rt->self), "ice-servers");
}

static void send_post (Runtime *rt);

static void
on_post_response (Runtime *rt, const std::string &sid, SoupMessage *msg, GBytes *body, GError *err)
{
  if (rt->stopping () || rt->sid != sid)
    return;
  const guint status = err ? 0 : soup_message_get_status (msg);
  if (status != SOUP_STATUS_CREATED)
    {
      const std::string why = describe_failure (msg, body, err);
      if (rt->attempts <= rt->retries)
        {
          g_message ("rtckit whip: POST to %s failed (%s), retrying (%u of %u)", rt->uri.c_str (),
                     why.c_str (), rt->attempts, rt->retries);
          rt->retry_timer.once (rt->context (), RETRY_INTERVAL_MS, [rt] { send_post (rt); });
          return;
        }
      std::string after
          = rt->attempts > 1 ? " (after " + std::to_string (rt->attempts) + " attempts)" : "";
      g_autofree gchar *text = g_strdup_printf (
          "WHIP endpoint %s: %s%s%s", rt->uri.c_str (),
          err ? "cannot reach it: " : "publishing refused: ", why.c_str (), after.c_str ());
      rt->sid.clear ();
      rtc_signaller_emit_error (RTC_SIGNALLER (rt->self), text);
      return;
    }
  gsize size = 0;
  auto *data = body ? static_cast<const char *> (g_bytes_get_data (body, &size)) : nullptr;
  rtc::whip::PostAnswer answer = rtc::whip::read_post_answer (
      rt->uri, soup_message_get_response_headers (msg), std::string_view (data ? data : "", size));
  if (!answer.location_problem.empty ())
    g_message ("rtckit whip: %s: %s", rt->uri.c_str (), answer.location_problem.c_str ());
  rt->resource = answer.resource;
  if (answer.etag)
    rt->etag = *answer.etag;
  rt->answered = true;
  set_state (rt, answer.resource, &answer.ice_servers);
  if (!answer.sdp)
    {
      g_autofree gchar *text = g_strdup_printf (
          "WHIP endpoint %s: the 201 answer carries no SDP", rt->uri.c_str ());
      rtc_signaller_emit_error (RTC_SIGNALLER (rt->self), text);
      return;
    }
  rtc_signaller_emit_sdp (RTC_SIGNALLER (rt->self), sid.c_str (), "answer", answer.sdp->c_str ());
  schedule_patch (rt);
}

static void
send_post (Runtime *rt)
{
  rt->attempts++;
  const std::string sid = rt->sid;
  if (!send_request (rt, "POST", rt->uri, "application/sdp", rt->post_body, rt->http.cancellable (),
                     [rt, sid] (SoupMessage *msg, GBytes *body, GError *err) {
                       on_post_response (rt, sid, msg, body, err);
                     }))
    {
      g_autofree gchar *text
          = g_strdup_printf ("WHIP endpoint %s: not a valid URL", rt->uri.c_str ());
      rtc_signaller_emit_error (RTC_SIGNALLER (rt->self), text);
    }
}

/* The offer with the candidates gathered so far goes out. */
static void
post_offer (Runtime *rt)
{
  rt->gather_timer.cancel ();
  if (rt->posted || rt->offer.empty () || rt->sid.empty ())
    return;
  rt->posted = true;
  rt->post_body = rtc::sdp::add_candidates (rt->offer, rt->cands, rt->complete);
  rt->cands.clear ();
  send_post (rt);
}

static void
take_offer (Runtime *rt, const std::string &sdp)
{
  rt->offer = sdp;
  rt->ufrag.clear ();
  rt->pwd.clear ();
  rt->mlines.clear ();
  rt->mids.clear ();
  for (const auto &line : split_lines (sdp))
    {
      if (g_str_has_prefix (line.c_str (), "m="))
        {
          rt->mlines.push_back (line);
          rt->mids.emplace_back ();
        }
      else if (g_str_has_prefix (line.c_str (), "a=mid:") && !rt->mids.empty ())
        rt->mids.back () = line.substr (6);
      else if (g_str_has_prefix (line.c_str (), "a=ice-ufrag:") && rt->ufrag.empty ())
        rt->ufrag = line.substr (12);
      else if (g_str_has_prefix (line.c_str (), "a=ice-pwd:") && rt->pwd.empty ())
        rt->pwd = line.substr (10);
    }
  if (rt->complete || rt->gather_ms == 0)
    post_offer (rt);
  else
    rt->gather_timer.once (rt->context (), rt->gather_ms, [rt] { post_offer (rt); });
}

static void
delete_resource (Runtime *rt, GCancellable *cancel, std::function<void ()> then)
{
  std::string resource = std::move (rt->resource);
  rt->resource.clear ();
  set_state (rt, "", nullptr);
  if (resource.empty ()
      || !send_request (rt, "DELETE", resource, nullptr, "", cancel,
                        [resource, then] (SoupMessage *msg, GBytes *body, GError *err) {
                          const guint status = err ? 0 : soup_message_get_status (msg);
                          if (!SOUP_STATUS_IS_SUCCESSFUL (status))
                            g_message ("rtckit whip: DELETE %s failed: %s", resource.c_str (),
                                       describe_failure (msg, body, err).c_str ());
                          if (then)
                            then ();
                        }))
    {
      if (then)
        then ();
    }
}

static void
end_current (Runtime *rt)
{
  rt->sid.clear ();
  rt->gather_timer.cancel ();
  rt->retry_timer.cancel ();
  rt->patch_timer.cancel ();
  rt->cands.clear ();
}

/* Runs @fn on the signaller thread, later; dropped if the signaller is not running. */
static void
post (RtcWhipSignaller *self, std::function<void (Runtime &)> fn)
{
  self->priv->client.post (std::move (fn));
}

/* ---- RtcSignaller ------------------------------------------------------------------------- */

static void
shutdown_start (Runtime *rt)
{
  end_current (rt);
  /* The final DELETE goes without the cancellable; the timeout bounds it. */
  rt->http.finish (*rt, rt->timeout_ms, [rt] { delete_resource (rt, nullptr, nullptr); });
}

static void
rtc_whip_signaller_stop (RtcSignaller *signaller)
{
  RtcWhipSignaller *self = RTC_WHIP_SIGNALLER (signaller);
  RtcWhipSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  if (std::unique_ptr<Runtime> rt = priv->client.take ())
    rt->stop ([rt = rt.get ()] { shutdown_start (rt); });
}

static gboolean
rtc_whip_signaller_start (RtcSignaller *signaller, GError **error)
{
  RtcWhipSignaller *self = RTC_WHIP_SIGNALLER (signaller);
  RtcWhipSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  if (priv->client.running ())
    return TRUE;
  auto rt = std::make_unique<Runtime> ();
  rt->self = self;
  {
    std::lock_guard lock (priv->settings_lock);
    rt->uri = priv->uri;
    rt->token = priv->token;
    rt->retries = priv->retries;
    rt->timeout_ms = priv->timeout_ms;
    rt->gather_ms = priv->gather_ms;
  }
  g_autoptr (GUri) parsed = g_uri_parse (rt->uri.c_str (), G_URI_FLAGS_NONE, nullptr);
  const char *scheme = parsed ? g_uri_get_scheme (parsed) : nullptr;
  if (!parsed || !g_uri_get_host (parsed) || !*g_uri_get_host (parsed)
      || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "invalid WHIP endpoint '%s': expected http(s)://HOST[:PORT]/PATH",
                   rt->uri.c_str ());
      return FALSE;
    }
  g_autofree gchar *uuid = g_uuid_string_random ();
  rt->sid = uuid;
  {
    std::lock_guard lock (priv->state_lock);
    priv->resource.clear ();
  }
  priv->client.put (rt.get ());
  rt->spawn ("rtcwhipsignaller", [rt = rt.get ()] {
    rt->http.open (rt->timeout_ms);
    rtc::post_session_requested (*rt, RTC_SIGNALLER (rt->self), rt->sid, "whip");
    rt->run ();
    rt->http.close (rt->context ());
  });
  rt.release ();
  return TRUE;
}

static void
rtc_whip_signaller_send_sdp (RtcSignaller *signaller, const gchar *session_id, const gchar *type,
                             const gchar *sdp)
{
  post (RTC_WHIP_SIGNALLER (signaller),
        [sid = std::string (session_id), type = std::string (type), sdp = std::string (sdp)] (
            Runtime &rt) {
          if (sid != rt.sid || !rt.offer.empty ())
            return;
          if (type != "offer")
            {
              g_warning ("rtckit whip: a WHIP client sends the offer, not an %s", type.c_str ());
              return;
            }
          take_offer (&rt, sdp);
        });
}

static void
rtc_whip_signaller_send_ice (RtcSignaller *signaller, const gchar *session_id, guint mline_index,
                             const gchar *candidate)
{
  post (RTC_WHIP_SIGNALLER (signaller),
        [sid = std::string (session_id), mline_index,
         cand = std::string (candidate ? candidate : "")] (Runtime &rt) {
          if (sid != rt.sid)
            return;
          if (cand.empty ())
            {
              rt.complete = true;
              if (!rt.posted)
                post_offer (&rt);
              else
                {
                  rt.eoc_pending = rt.trickle;
                  schedule_patch (&rt);
                }
              return;
            }
          if (rt.posted && !rt.trickle)
            return;
          rt.cands.emplace_back (mline_index, g_str_has_prefix (cand.c_str (), "a=")
                                                  ? cand.substr (2)
                                                  : cand);
          if (rt.posted)
            schedule_patch (&rt);
        });
}

static void
rtc_whip_signaller_end_session (RtcSignaller *signaller, const gchar *session_id,
                                const gchar *reason)
{
  post (RTC_WHIP_SIGNALLER (signaller),
        [sid = std::string (session_id), why = std::string (reason ? reason : "")] (Runtime &rt) {
          if (sid != rt.sid)
            return;
          if (!why.empty ())
            g_debug ("rtckit whip: session to %s ended: %s", rt.uri.c_str (), why.c_str ());
          end_current (&rt);
          delete_resource (&rt, nullptr, nullptr); /* not cancelled by stop(): it waits */
        });
}

static void
rtc_whip_signaller_iface_init (RtcSignallerInterface *iface)
{
  iface->start = rtc_whip_signaller_start;
  iface->stop = rtc_whip_signaller_stop;
  iface->send_sdp = rtc_whip_signaller_send_sdp;
  iface->send_ice = rtc_whip_signaller_send_ice;
  iface->end_session = rtc_whip_signaller_end_session;
  iface->consumer_offers = [] (RtcSignaller *) -> gboolean { return TRUE; };
  iface->announces_ssrc = [] (RtcSignaller *) -> gboolean { return TRUE; };
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
rtc_whip_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  RtcWhipSignallerPrivate *priv = RTC_WHIP_SIGNALLER (object)->priv;
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      rtc::set_string_property (priv->uri, value);
      break;
    case PROP_AUTH_TOKEN:
      rtc::set_string_property (priv->token, value);
      break;
    case PROP_RETRIES:
      priv->retries = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      priv->timeout_ms = g_value_get_uint (value);
      break;
    case PROP_GATHER_TIMEOUT:
      priv->gather_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_whip_signaller_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  RtcWhipSignallerPrivate *priv = RTC_WHIP_SIGNALLER (object)->priv;
  if (prop_id == PROP_ICE_SERVERS || prop_id == PROP_RESOURCE_URL)
    {
      std::lock_guard lock (priv->state_lock);
      if (prop_id == PROP_RESOURCE_URL)
        rtc::get_string_property (value, priv->resource);
      else
        {
          gchar **v = g_new0 (gchar *, priv->ice_servers.size () + 1);
          for (size_t i = 0; i < priv->ice_servers.size (); i++)
            v[i] = g_strdup (priv->ice_servers[i].c_str ());
          g_value_take_boxed (value, v);
        }
      return;
    }
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      rtc::get_string_property (value, priv->uri);
      break;
    case PROP_AUTH_TOKEN:
      rtc::get_string_property (value, priv->token);
      break;
    case PROP_RETRIES:
      g_value_set_uint (value, priv->retries);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, priv->timeout_ms);
      break;
    case PROP_GATHER_TIMEOUT:
      g_value_set_uint (value, priv->gather_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_whip_signaller_dispose (GObject *object)
{
  rtc_whip_signaller_stop (RTC_SIGNALLER (object));
  G_OBJECT_CLASS (rtc_whip_signaller_parent_class)->dispose (object);
}

static void
rtc_whip_signaller_finalize (GObject *object)
{
  delete RTC_WHIP_SIGNALLER (object)->priv;
  G_OBJECT_CLASS (rtc_whip_signaller_parent_class)->finalize (object);
}

static void
rtc_whip_signaller_init (RtcWhipSignaller *self)
{
  self->priv = new RtcWhipSignallerPrivate ();
}

static void
rtc_whip_signaller_class_init (RtcWhipSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = rtc_whip_signaller_set_property;
  gobject_class->get_property = rtc_whip_signaller_get_property;
  gobject_class->dispose = rtc_whip_signaller_dispose;
  gobject_class->finalize = rtc_whip_signaller_finalize;

  const auto rw = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto ro = static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
                           "WHIP endpoint, http(s)://HOST:PORT/PATH (ws:// or wss:// makes the "
                           "element's signaller a WebSocket client again); read at start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           "Bearer token sent with every request (Authorization: Bearer <token>); "
                           "read at start",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRIES,
      g_param_spec_uint ("retries", "Retries",
                         "Further POST attempts, 1 s apart, when the endpoint is unreachable or "
                         "refuses; then an element error",
                         0, 1000, DEFAULT_RETRIES, rw));
  g_object_class_install_property (
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
                         "Milliseconds one HTTP request may take (rounded up to seconds), and "
                         "how long stop waits for the DELETE",
                         100, 600000, DEFAULT_TIMEOUT, rw));
  g_object_class_install_property (
      gobject_class, PROP_GATHER_TIMEOUT,
      g_param_spec_uint ("gather-timeout", "Gather timeout",
                         "Milliseconds the offer waits for local ICE candidates before the POST "
                         "(0: POST at once, candidates only by trickle)",
                         0, 60000, DEFAULT_GATHER_TIMEOUT, rw));
  g_object_class_install_property (
      gobject_class, PROP_ICE_SERVERS,
      g_param_spec_boxed ("ice-servers", "ICE servers",
                          "ICE servers from the Link headers of the last answer, as "
                          "stun://HOST:PORT and turn://USER:PASS@HOST:PORT",
                          G_TYPE_STRV, ro));
  g_object_class_install_property (
      gobject_class, PROP_RESOURCE_URL,
      g_param_spec_string ("resource-url", "Resource URL",
                           "The WHIP resource of the current session (Location of the 201), "
                           "NULL when none",
                           nullptr, ro));
}
