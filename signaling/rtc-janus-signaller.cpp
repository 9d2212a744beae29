/* RtcJanusSignaller: see rtc-janus-signaller.h.
 *
 * Threads: start()/stop() and the methods run on element threads; the SoupSessions, every
 * request and every signal emission live on the signaller thread (Runtime, a rtc::ClientLoop).
 *
 * One connection attempt is a chain of requests (create, attach, [exists, create room], join,
 * publish); every callback of the chain carries the attempt's generation and does nothing once
 * a newer attempt (a retry) or the end of the session made it stale.
 *
 * Lock order: start_lock -> settings_lock; state_lock and the client slot's lock are leaves. No
 * lock is held while a signal is emitted or a property notified.
 */
#include "rtc-janus-signaller.h"

#include "client-loop.h"
#include "janus-api.h"
#include "sdp-text.h"
#include "string-property.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#define DEFAULT_ROOM 1234
#define DEFAULT_DISPLAY "rtckit"
#define DEFAULT_CREATE_ROOM FALSE
#define DEFAULT_KEEPALIVE 25
#define DEFAULT_RETRIES 0
#define DEFAULT_TIMEOUT 10000
#define RETRY_INTERVAL_MS 1000
/* Janus answers a long poll after 30 s at most. */
#define POLL_TIMEOUT_S 60
#define VIDEOROOM "janus.plugin.videoroom"

namespace
{

struct Runtime : rtc::ClientLoop
{
  RtcJanusSignaller *self = nullptr;

  /* configuration, copied at start */
  std::string uri, api, display, pin, secret, token, apisecret;
  guint64 room = DEFAULT_ROOM;
  bool create_room = DEFAULT_CREATE_ROOM;
  guint keepalive_s = DEFAULT_KEEPALIVE, retries = DEFAULT_RETRIES, timeout_ms = DEFAULT_TIMEOUT;

  /* (thread) below */
  rtc::HttpClient http; /* its cancellable: every request but the final leave/destroy */
  SoupSession *poll_session = nullptr;

  std::string sid; /* the session; "" once ended */
  std::string offer;
  std::vector<std::string> mids; /* of the offer's m-lines */
  guint attempts = 0, gen = 0;
  guint64 jsession = 0, handle = 0;
  guint64 polling = 0; /* the Janus session being long-polled */
  bool joined = false, published = false, answered = false;
  std::vector<std::pair<guint, std::string>> cands; /* every local candidate, for retries */
  bool complete = false;
  bool trickling = false; /* the publish request was acknowledged: candidates go out at once */
  std::vector<std::pair<guint, std::string>> outbox; /* to trickle, one request at a time */
  bool trickle_inflight = false;
  rtc::Timer keepalive_timer, retry_timer;
};

} // namespace

struct RtcJanusSignallerPrivate
{
  std::mutex start_lock;

  std::mutex settings_lock;
  std::string uri, display = DEFAULT_DISPLAY, pin, secret, token, apisecret;
  guint64 room = DEFAULT_ROOM;
  bool create_room = DEFAULT_CREATE_ROOM;
  guint keepalive_s = DEFAULT_KEEPALIVE, retries = DEFAULT_RETRIES, timeout_ms = DEFAULT_TIMEOUT;

  rtc::ClientSlot<Runtime> client;

  std::mutex state_lock;
  guint64 publisher_id = 0;
};

struct _RtcJanusSignaller
{
  GObject parent;
  RtcJanusSignallerPrivate *priv;
};

enum
{
  PROP_0,
  PROP_URI,
  PROP_ROOM,
  PROP_DISPLAY,
  PROP_PIN,
  PROP_SECRET,
  PROP_CREATE_ROOM,
  PROP_AUTH_TOKEN,
  PROP_API_SECRET,
  PROP_KEEPALIVE_INTERVAL,
  PROP_RETRIES,
  PROP_TIMEOUT,
  PROP_PUBLISHER_ID,
};

static void rtc_janus_signaller_iface_init (RtcSignallerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RtcJanusSignaller, rtc_janus_signaller, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (RTC_TYPE_SIGNALLER,
                                                      rtc_janus_signaller_iface_init))

/* ---- text helpers (no state) -------------------------------------------------------------- */

gchar *
rtc_janus_api_url (const gchar *uri)
{
  if (!uri)
    return nullptr;
  const char *rest = nullptr;
  if (g_ascii_strncasecmp (uri, "janus+http://", 13) == 0)
    rest = uri + 6;
  else if (g_ascii_strncasecmp (uri, "janus+https://", 14) == 0)
    rest = uri + 6;
  if (!rest)
    return nullptr;
  g_autoptr (GUri) parsed = g_uri_parse (rest, G_URI_FLAGS_NONE, nullptr);
  if (!parsed || !g_uri_get_host (parsed) || !*g_uri_get_host (parsed))
    return nullptr;
  const bool tls = g_ascii_strncasecmp (rest, "https://", 8) == 0;
  std::string url = std::string (tls ? "https://" : "http://") + (rest + (tls ? 8 : 7));
  while (url.size () > 1 && url.back () == '/')
    url.pop_back ();
  return g_strdup (url.c_str ());
}

using rtc::sdp::split_lines;

gchar *
rtc_janus_sdp_codecs (const gchar *sdp, const gchar *media)
{
  static const char *const known[]
      = { "vp8", "vp9", "h264", "av1", "h265", "opus", "g722", "pcmu", "pcma", nullptr };
  std::string out;
  std::vector<std::string> formats; /* payload types of the current m-line of @media */
  bool in_media = false;
  for (const auto &line : split_lines (sdp ? sdp : ""))
    {
      if (g_str_has_prefix (line.c_str (), "m="))
        {
          g_auto (GStrv) parts = g_strsplit (line.c_str () + 2, " ", -1);
          in_media = parts[0] && g_str_equal (parts[0], media);
          formats.clear ();
          for (guint i = 3; in_media && i < g_strv_length (parts); i++)
            formats.push_back (parts[i]);
          continue;
        }
      if (!in_media || !g_str_has_prefix (line.c_str (), "a=rtpmap:"))
        continue;
      /* a=rtpmap:PT NAME/RATE[/CHANNELS] */
      std::string value = line.substr (9);
      size_t sp = value.find (' '), slash = value.find ('/');
      if (sp == std::string::npos || slash == std::string::npos || slash < sp)
        continue;
      g_autofree gchar *name = g_ascii_strdown (value.substr (sp + 1, slash - sp - 1).c_str (), -1);
      for (guint i = 0; known[i]; i++)
        if (g_str_equal (name, known[i]))
          {
            const std::string n = name;
            if ((',' + out + ',').find (',' + n + ',') == std::string::npos)
              out += (out.empty () ? "" : ",") + n;
          }
    }
  return g_strdup (out.c_str ());
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static std::string
to_json (JsonObject *obj)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  gchar *text = json_to_string (node, FALSE);
  std::string out = text;
  g_free (text);
  json_node_unref (node);
  return out;
}

/* ---- signaller thread ----------------------------------------------------------------------- */

using rtc::janus::Message;

/* @reply: the reply, or nullptr with @error set (transport, HTTP or Janus error). */
using Done = std::function<void (const Message *reply, const std::string &error)>;

/* The reply of a Janus API request, or why there is none (transport, HTTP or Janus error). */
static void
on_api_reply (SoupMessage *msg, GBytes *body, GError *err, const Done &done)
{
  std::string why;
  std::optional<Message> reply;
  if (err)
    why = std::string ("cannot reach it: ") + err->message;
  else if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    why = rtc::describe_http_status (msg, body);
  else
    {
      gsize size = 0;
      auto *text = static_cast<const char *> (g_bytes_get_data (body, &size));
      reply = rtc::janus::parse_reply (std::string_view (text ? text : "", size), why);
      if (reply && reply->janus == "error")
        why = reply->janus_error ();
    }
  done (why.empty () ? &*reply : nullptr, why);
}

/* POSTs @body (transfer full; transaction, token and apisecret added) to @url. */
static void
api_post (Runtime *rt, const std::string &url, JsonObject *body, GCancellable *cancel, Done done)
{
  g_autofree gchar *transaction = g_uuid_string_random ();
  json_object_set_string_member (body, "transaction", transaction);
  if (!rt->token.empty ())
    json_object_set_string_member (body, "token", rt->token.c_str ());
  if (!rt->apisecret.empty ())
    json_object_set_string_member (body, "apisecret", rt->apisecret.c_str ());
  const std::string text = to_json (body);
  json_object_unref (body);
  SoupMessage *msg = soup_message_new ("POST", url.c_str ());
  if (!msg)
    {
      done (nullptr, "not a valid URL");
      return;
    }
  g_autoptr (GBytes) bytes = g_bytes_new (text.data (), text.size ());
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  rt->http.send (msg, cancel,
                 [done = std::move (done)] (SoupMessage *msg, GBytes *body, GError *err) {
                   on_api_reply (msg, body, err, done);
                 });
}

static JsonObject *
janus_request (const char *verb)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "janus", verb);
  return o;
}

static std::string
session_url (Runtime *rt)
{
  return rt->api + "/" + std::to_string (rt->jsession);
}

static std::string
handle_url (Runtime *rt)
{
  return session_url (rt) + "/" + std::to_string (rt->handle);
}

/* A message to the VideoRoom: @body and @jsep transfer full (@jsep nullable). */
static void
videoroom_message (Runtime *rt, JsonObject *body, JsonObject *jsep, Done done)
{
  JsonObject *o = janus_request ("message");
  json_object_set_object_member (o, "body", body);
  if (jsep)
    json_object_set_object_member (o, "jsep", jsep);
  api_post (rt, handle_url (rt), o, rt->http.cancellable (), std::move (done));
}

static void
set_publisher_id (Runtime *rt, guint64 id)
{
  {
    std::lock_guard lock (rt->self->priv->state_lock);
    rt->self->priv->publisher_id = id;
  }
  g_object_notify (G_OBJECT (rt->self), "publisher-id");
}

/* Leaves the room and destroys the Janus session (no wait); @then runs after the destroy. */
static void
hang_up (Runtime *rt, GCancellable *cancel, std::function<void ()> then = nullptr)
{
  rt->keepalive_timer.cancel ();
  const guint64 jsession = rt->jsession, handle = rt->handle;
  const bool joined = rt->joined;
  rt->jsession = rt->handle = 0;
  rt->joined = rt->published = rt->answered = rt->trickling = false;
  rt->outbox.clear ();
  if (!jsession)
    {
      if (then)
        then ();
      return;
    }
  const std::string surl = rt->api + "/" + std::to_string (jsession);
  auto destroy = [rt, surl, cancel, then] () {
    api_post (rt, surl, janus_request ("destroy"), cancel,
              [then] (const Message *, const std::string &why) {
                if (!why.empty ())
                  g_debug ("rtckit janus: destroy failed: %s", why.c_str ());
                if (then)
                  then ();
              });
  };
  if (joined && handle)
    {
      JsonObject *o = janus_request ("message");
      JsonObject *body = json_object_new ();
      json_object_set_string_member (body, "request", "leave");
      json_object_set_object_member (o, "body", body);
      api_post (rt, surl + "/" + std::to_string (handle), o, cancel,
                [destroy] (const Message *, const std::string &) { destroy (); });
    }
  else
    destroy ();
}

static void attempt (Runtime *rt);

/* The current attempt failed: retry from a new Janus session, or give up with an error. */
static void
attempt_failed (Runtime *rt, const std::string &why)
{
  if (rt->stopping () || rt->sid.empty ())
    return;
  rt->gen++;
  hang_up (rt, nullptr);
  if (rt->attempts <= rt->retries)
    {
      g_message ("rtckit janus: %s: %s, retrying (%u of %u)", rt->uri.c_str (), why.c_str (),
                 rt->attempts, rt->retries);
      rt->retry_timer.once (rt->context (), RETRY_INTERVAL_MS, [rt] { attempt (rt); });
      return;
    }
  std::string after
      = rt->attempts > 1 ? " (after " + std::to_string (rt->attempts) + " attempts)" : "";
  g_autofree gchar *text
      = g_strdup_printf ("Janus VideoRoom at %s, room %" G_GUINT64_FORMAT ": %s%s",
                         rt->uri.c_str (), rt->room, why.c_str (), after.c_str ());
  rt->sid.clear ();
  rtc_signaller_emit_error (RTC_SIGNALLER (rt->self), text);
}

/* The Janus session went away after the answer: the publication is over. */
static void
session_lost (Runtime *rt, const std::string &why)
{
  if (rt->stopping () || rt->sid.empty ())
    return;
  if (!rt->answered)
    {
      attempt_failed (rt, why);
      return;
    }
  rt->gen++;
  hang_up (rt, nullptr);
  g_autofree gchar *text = g_strdup_printf ("Janus VideoRoom at %s: lost the Janus session: %s",
                                            rt->uri.c_str (), why.c_str ());
  rt->sid.clear ();
  rtc_signaller_emit_error (RTC_SIGNALLER (rt->self), text);
}

/* Sends the first candidate of the outbox ("" is the end of candidates), then the next: in
 * order, so that "completed" never overtakes a candidate. */
static void
pump_trickles (Runtime *rt)
{
  if (rt->trickle_inflight || rt->outbox.empty () || !rt->handle)
    return;
  const auto [mline, cand] = rt->outbox.front ();
  rt->outbox.erase (rt->outbox.begin ());
  JsonObject *c = json_object_new ();
  if (cand.empty ())
    json_object_set_boolean_member (c, "completed", TRUE);
  else
    {
      json_object_set_string_member (c, "candidate", cand.c_str ());
      json_object_set_int_member (c, "sdpMLineIndex", mline);
      if (mline < rt->mids.size () && !rt->mids[mline].empty ())
        json_object_set_string_member (c, "sdpMid", rt->mids[mline].c_str ());
    }
  JsonObject *o = janus_request ("trickle");
  json_object_set_object_member (o, "candidate", c);
  rt->trickle_inflight = true;
  api_post (rt, handle_url (rt), o, rt->http.cancellable (),
            [rt] (const Message *, const std::string &why) {
              rt->trickle_inflight = false;
              if (!why.empty ())
                g_message ("rtckit janus: trickle failed: %s", why.c_str ());
              /* The outbox may be a newer attempt's by now (hang_up() emptied it): send that. */
              if (!rt->stopping ())
                pump_trickles (rt);
            });
}

static void
send_trickle (Runtime *rt, guint mline, const std::string &cand)
{
  rt->outbox.emplace_back (mline, cand);
  pump_trickles (rt);
}

static void
flush_trickles (Runtime *rt)
{
  for (const auto &[mline, cand] : rt->cands)
    send_trickle (rt, mline, cand);
  if (rt->complete)
    send_trickle (rt, 0, "");
  rt->trickling = true;
}

static void
send_publish (Runtime *rt)
{
  const guint gen = rt->gen;
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "request", "publish");
  if (!rt->display.empty ())
    json_object_set_string_member (body, "display", rt->display.c_str ());
  JsonObject *jsep = json_object_new ();
  json_object_set_string_member (jsep, "type", "offer");
  json_object_set_string_member (jsep, "sdp", rt->offer.c_str ());
  rt->published = true;
  videoroom_message (rt, body, jsep, [rt, gen] (const Message *reply, const std::string &why) {
    if (gen != rt->gen || rt->stopping ())
      return;
    std::string err = why.empty () ? reply->videoroom_error () : why;
    if (!err.empty ())
      {
        attempt_failed (rt, err);
        return;
      }
    flush_trickles (rt);
  });
}

static void
handle_event (Runtime *rt, const Message &ev)
{
  const std::string &kind = ev.janus;
  if (kind == "keepalive" || kind == "ack" || (ev.sender && (guint64)ev.sender != rt->handle))
    return;
  if (kind == "event" || kind == "success")
    {
      const std::string err = ev.videoroom_error ();
      if (!err.empty ())
        {
          if (!rt->answered)
            attempt_failed (rt, err);
          else
            g_message ("rtckit janus: %s", err.c_str ());
          return;
        }
      if (ev.videoroom == "joined" && !rt->joined)
        {
          rt->joined = true;
          set_publisher_id (rt, ev.publisher_id);
          send_publish (rt);
        }
      if (ev.jsep && rt->published && !rt->answered && ev.jsep->type == "answer")
        {
          rt->answered = true;
          rtc_signaller_emit_sdp (RTC_SIGNALLER (rt->self), rt->sid.c_str (), "answer",
                                  ev.jsep->sdp.c_str ());
        }
      return;
    }
  if (kind == "trickle" && rt->answered)
    {
      if (!ev.candidate)
        return;
      if (ev.candidate->completed)
        rtc_signaller_emit_ice (RTC_SIGNALLER (rt->self), rt->sid.c_str (), 0, "");
      else if (!ev.candidate->candidate.empty ())
        rtc_signaller_emit_ice (RTC_SIGNALLER (rt->self), rt->sid.c_str (),
                                (guint)ev.candidate->mline_index, ev.candidate->candidate.c_str ());
      return;
    }
  if ((kind == "hangup" || kind == "detached") && rt->published)
    {
      g_message ("rtckit janus: %s: Janus hung up the publisher (%s)", rt->uri.c_str (),
                 ev.reason.c_str ());
      const std::string sid = rt->sid;
      rt->gen++;
      hang_up (rt, nullptr);
      rt->sid.clear ();
      if (!sid.empty ())
        rtc_signaller_emit_session_ended (RTC_SIGNALLER (rt->self), sid.c_str ());
      return;
    }
  if (kind == "webrtcup")
    g_debug ("rtckit janus: PeerConnection with Janus is up");
}

static void poll_events (Runtime *rt);

/* An answer of the long poll of @jsession: events, then the next poll. */
static void
on_poll (Runtime *rt, guint64 jsession, SoupMessage *msg, GBytes *body, GError *err)
{
  if (rt->polling == jsession)
    rt->polling = 0;
  if (rt->stopping () || rt->jsession != jsession)
    return;
  std::optional<std::vector<Message>> events;
  std::string why;
  if (err)
    why = err->message;
  else if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    why = rtc::describe_http_status (msg, body);
  else
    {
      gsize size = 0;
      auto *text = static_cast<const char *> (g_bytes_get_data (body, &size));
      events = rtc::janus::parse_events (std::string_view (text ? text : "", size), why);
    }
  if (!why.empty ())
    {
      session_lost (rt, "long poll: " + why);
      return;
    }
  for (const Message &ev : *events)
    {
      if (rt->jsession != jsession)
        return;
      if (ev.janus == "error")
        {
          session_lost (rt, ev.janus_error ());
          return;
        }
      handle_event (rt, ev);
    }
  poll_events (rt);
}

/* The long poll of the Janus session: one GET at a time, again after each answer. */
static void
poll_events (Runtime *rt)
{
  if (rt->polling || !rt->jsession || rt->stopping ())
    return;
  rt->polling = rt->jsession;
  std::string url = session_url (rt) + "?maxev=10";
  if (!rt->token.empty ())
    {
      g_autofree gchar *t = g_uri_escape_string (rt->token.c_str (), nullptr, FALSE);
      url += std::string ("&token=") + t;
    }
  if (!rt->apisecret.empty ())
    {
      g_autofree gchar *t = g_uri_escape_string (rt->apisecret.c_str (), nullptr, FALSE);
      url += std::string ("&apisecret=") + t;
    }
  SoupMessage *msg = soup_message_new ("GET", url.c_str ());
  rt->http.send (
      msg, rt->http.cancellable (),
      [rt, jsession = rt->jsession] (SoupMessage *msg, GBytes *body, GError *err) {
        on_poll (rt, jsession, msg, body, err);
      },
      rt->poll_session);
}

static void
keepalive_due (Runtime *rt)
{
  if (!rt->jsession)
    return;
  const guint64 jsession = rt->jsession;
  api_post (rt, session_url (rt), janus_request ("keepalive"), rt->http.cancellable (),
            [rt, jsession] (const Message *, const std::string &why) {
              if (!why.empty () && rt->jsession == jsession)
                session_lost (rt, "keepalive: " + why);
            });
}

static void
join_room (Runtime *rt, guint gen)
{
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "publisher");
  json_object_set_int_member (body, "room", (gint64)rt->room);
  if (!rt->display.empty ())
    json_object_set_string_member (body, "display", rt->display.c_str ());
  if (!rt->pin.empty ())
    json_object_set_string_member (body, "pin", rt->pin.c_str ());
  videoroom_message (rt, body, nullptr, [rt, gen] (const Message *reply, const std::string &why) {
    if (gen != rt->gen || rt->stopping ())
      return;
    if (!why.empty ())
      attempt_failed (rt, why);
    else if (reply->janus == "success")
      handle_event (rt, *reply); /* a synchronous reply: an error, or joined */
    /* else "ack": the joined (or error) event comes on the long poll */
  });
}

static void
ensure_room (Runtime *rt, guint gen)
{
  if (!rt->create_room)
    {
      join_room (rt, gen);
      return;
    }
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "request", "exists");
  json_object_set_int_member (body, "room", (gint64)rt->room);
  videoroom_message (rt, body, nullptr, [rt, gen] (const Message *reply, const std::string &why) {
    if (gen != rt->gen || rt->stopping ())
      return;
    std::string err = why.empty () ? reply->videoroom_error () : why;
    if (!err.empty ())
      {
        attempt_failed (rt, err);
        return;
      }
    if (reply->room_exists)
      {
        join_room (rt, gen);
        return;
      }
    JsonObject *create = json_object_new ();
    json_object_set_string_member (create, "request", "create");
    json_object_set_int_member (create, "room", (gint64)rt->room);
    json_object_set_string_member (create, "description", "rtckit");
    g_autofree gchar *vc = rtc_janus_sdp_codecs (rt->offer.c_str (), "video");
    g_autofree gchar *ac = rtc_janus_sdp_codecs (rt->offer.c_str (), "audio");
    if (*vc)
      json_object_set_string_member (create, "videocodec", vc);
    if (*ac)
      json_object_set_string_member (create, "audiocodec", ac);
    if (!rt->secret.empty ())
      json_object_set_string_member (create, "secret", rt->secret.c_str ());
    if (!rt->pin.empty ())
      json_object_set_string_member (create, "pin", rt->pin.c_str ());
    videoroom_message (rt, create, nullptr,
                       [rt, gen] (const Message *reply, const std::string &why) {
                         if (gen != rt->gen || rt->stopping ())
                           return;
                         std::string err = why.empty () ? reply->videoroom_error () : why;
                         /* 427: created meanwhile by someone else, which is as good */
                         if (!err.empty () && err.find ("error 427:") == std::string::npos)
                           {
                             attempt_failed (rt, "creating the room: " + err);
                             return;
                           }
                         join_room (rt, gen);
                       });
  });
}

/* One attempt: create, attach, [room], join, publish. */
static void
attempt (Runtime *rt)
{
  if (rt->stopping () || rt->sid.empty ())
    return;
  rt->attempts++;
  const guint gen = ++rt->gen;
  api_post (rt, rt->api, janus_request ("create"), rt->http.cancellable (),
            [rt, gen] (const Message *reply, const std::string &why) {
              if (gen != rt->gen || rt->stopping ())
                return;
              const gint64 id = reply ? reply->data_id : 0;
              if (!why.empty () || id <= 0)
                {
                  attempt_failed (rt, why.empty () ? "no session id in Janus's reply" : why);
                  return;
                }
              rt->jsession = (guint64)id;
              poll_events (rt);
              rt->keepalive_timer.every (rt->context (), rt->keepalive_s * 1000, [rt] {
                keepalive_due (rt);
                return true;
              });
              JsonObject *o = janus_request ("attach");
              json_object_set_string_member (o, "plugin", VIDEOROOM);
              api_post (rt, session_url (rt), o, rt->http.cancellable (),
                        [rt, gen] (const Message *reply, const std::string &why) {
                          if (gen != rt->gen || rt->stopping ())
                            return;
                          const gint64 h = reply ? reply->data_id : 0;
                          if (!why.empty () || h <= 0)
                            {
                              attempt_failed (rt,
                                              why.empty () ? "no handle id in Janus's reply" : why);
                              return;
                            }
                          rt->handle = (guint64)h;
                          ensure_room (rt, gen);
                        });
            });
}

static void
take_offer (Runtime *rt, const std::string &sdp)
{
  rt->offer = sdp;
  rt->mids.clear ();
  for (const auto &line : split_lines (sdp))
    {
      if (g_str_has_prefix (line.c_str (), "m="))
        rt->mids.emplace_back ();
      else if (g_str_has_prefix (line.c_str (), "a=mid:") && !rt->mids.empty ())
        rt->mids.back () = line.substr (6);
    }
  attempt (rt);
}

static void
end_current (Runtime *rt)
{
  rt->sid.clear ();
  rt->gen++;
  rt->retry_timer.cancel ();
  rt->cands.clear ();
}

/* Runs @fn on the signaller thread, later; dropped if the signaller is not running. */
static void
post (RtcJanusSignaller *self, std::function<void (Runtime &)> fn)
{
  self->priv->client.post (std::move (fn));
}

/* ---- RtcSignaller ------------------------------------------------------------------------- */

static void
shutdown_start (Runtime *rt)
{
  end_current (rt);
  /* leave and destroy are not cancelled; the timeout bounds them. */
  rt->http.finish (*rt, rt->timeout_ms, [rt] { hang_up (rt, nullptr); });
}

static void
rtc_janus_signaller_stop (RtcSignaller *signaller)
{
  RtcJanusSignaller *self = RTC_JANUS_SIGNALLER (signaller);
  RtcJanusSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  if (std::unique_ptr<Runtime> rt = priv->client.take ())
    rt->stop ([rt = rt.get ()] { shutdown_start (rt); });
}

static gboolean
rtc_janus_signaller_start (RtcSignaller *signaller, GError **error)
{
  RtcJanusSignaller *self = RTC_JANUS_SIGNALLER (signaller);
  RtcJanusSignallerPrivate *priv = self->priv;
  std::lock_guard start (priv->start_lock);
  if (priv->client.running ())
    return TRUE;
  auto rt = std::make_unique<Runtime> ();
  rt->self = self;
  {
    std::lock_guard lock (priv->settings_lock);
    rt->uri = priv->uri;
    rt->display = priv->display;
    rt->pin = priv->pin;
    rt->secret = priv->secret;
    rt->token = priv->token;
    rt->apisecret = priv->apisecret;
    rt->room = priv->room;
    rt->create_room = priv->create_room;
    rt->keepalive_s = priv->keepalive_s;
    rt->retries = priv->retries;
    rt->timeout_ms = priv->timeout_ms;
  }
  g_autofree gchar *api = rtc_janus_api_url (rt->uri.c_str ());
  if (!api)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "invalid Janus URI '%s': expected janus+http(s)://HOST[:PORT]/PATH, e.g. "
                   "janus+http://127.0.0.1:8088/janus",
                   rt->uri.c_str ());
      return FALSE;
    }
  rt->api = api;
  g_autofree gchar *uuid = g_uuid_string_random ();
  rt->sid = uuid;
  {
    std::lock_guard lock (priv->state_lock);
    priv->publisher_id = 0;
  }
  priv->client.put (rt.get ());
  rt->spawn ("rtcjanussignaller", [rt = rt.get ()] {
    rt->http.open (rt->timeout_ms);
    rt->poll_session = soup_session_new_with_options ("timeout", POLL_TIMEOUT_S, nullptr);
    rtc::post_session_requested (*rt, RTC_SIGNALLER (rt->self), rt->sid, "janus");
    rt->run ();
    rt->keepalive_timer.cancel ();
    rt->retry_timer.cancel ();
    rt->http.close (rt->context ()); /* the long poll too: it counts among the requests */
    g_clear_object (&rt->poll_session);
  });
  rt.release ();
  return TRUE;
}

static void
rtc_janus_signaller_send_sdp (RtcSignaller *signaller, const gchar *session_id, const gchar *type,
                              const gchar *sdp)
{
  post (RTC_JANUS_SIGNALLER (signaller), [sid = std::string (session_id), type = std::string (type),
                                          sdp = std::string (sdp)] (Runtime &rt) {
    if (sid != rt.sid || !rt.offer.empty ())
      return;
    if (type != "offer")
      {
        g_warning ("rtckit janus: a VideoRoom publisher sends the offer, not an %s", type.c_str ());
        return;
      }
    take_offer (&rt, sdp);
  });
}

static void
rtc_janus_signaller_send_ice (RtcSignaller *signaller, const gchar *session_id, guint mline_index,
                              const gchar *candidate)
{
  post (RTC_JANUS_SIGNALLER (signaller),
        [sid = std::string (session_id), mline_index,
         cand = std::string (candidate ? candidate : "")] (Runtime &rt) {
          if (sid != rt.sid)
            return;
          std::string c = g_str_has_prefix (cand.c_str (), "a=") ? cand.substr (2) : cand;
          if (c.empty ())
            rt.complete = true;
          else
            rt.cands.emplace_back (mline_index, c);
          /* Before that, flush_trickles() sends them after the publish request. */
          if (rt.trickling)
            send_trickle (&rt, mline_index, c);
        });
}

static void
rtc_janus_signaller_end_session (RtcSignaller *signaller, const gchar *session_id,
                                 const gchar *reason)
{
  post (RTC_JANUS_SIGNALLER (signaller),
        [sid = std::string (session_id), why = std::string (reason ? reason : "")] (Runtime &rt) {
          if (sid != rt.sid)
            return;
          if (!why.empty ())
            g_debug ("rtckit janus: session ended: %s", why.c_str ());
          end_current (&rt);
          hang_up (&rt, nullptr); /* not cancelled by stop(): it waits */
        });
}

static void
rtc_janus_signaller_iface_init (RtcSignallerInterface *iface)
{
  iface->start = rtc_janus_signaller_start;
  iface->stop = rtc_janus_signaller_stop;
  iface->send_sdp = rtc_janus_signaller_send_sdp;
  iface->send_ice = rtc_janus_signaller_send_ice;
  iface->end_session = rtc_janus_signaller_end_session;
  /* Janus drops packets of SSRCs its SDP does not know. */
  iface->announces_ssrc = [] (RtcSignaller *) -> gboolean { return TRUE; };
}

/* ---- GObject ------------------------------------------------------------------------------ */

using rtc::get_string_property;
using rtc::set_string_property;

static void
rtc_janus_signaller_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  RtcJanusSignallerPrivate *priv = RTC_JANUS_SIGNALLER (object)->priv;
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      set_string_property (priv->uri, value);
      break;
    case PROP_ROOM:
      priv->room = g_value_get_uint64 (value);
      break;
    case PROP_DISPLAY:
      set_string_property (priv->display, value);
      break;
    case PROP_PIN:
      set_string_property (priv->pin, value);
      break;
    case PROP_SECRET:
      set_string_property (priv->secret, value);
      break;
    case PROP_CREATE_ROOM:
      priv->create_room = g_value_get_boolean (value);
      break;
    case PROP_AUTH_TOKEN:
      set_string_property (priv->token, value);
      break;
    case PROP_API_SECRET:
      set_string_property (priv->apisecret, value);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      priv->keepalive_s = g_value_get_uint (value);
      break;
    case PROP_RETRIES:
      priv->retries = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      priv->timeout_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_janus_signaller_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RtcJanusSignallerPrivate *priv = RTC_JANUS_SIGNALLER (object)->priv;
  if (prop_id == PROP_PUBLISHER_ID)
    {
      std::lock_guard lock (priv->state_lock);
      g_value_set_uint64 (value, priv->publisher_id);
      return;
    }
  std::lock_guard lock (priv->settings_lock);
  switch (prop_id)
    {
    case PROP_URI:
      get_string_property (value, priv->uri);
      break;
    case PROP_ROOM:
      g_value_set_uint64 (value, priv->room);
      break;
    case PROP_DISPLAY:
      get_string_property (value, priv->display);
      break;
    case PROP_PIN:
      get_string_property (value, priv->pin);
      break;
    case PROP_SECRET:
      get_string_property (value, priv->secret);
      break;
    case PROP_CREATE_ROOM:
      g_value_set_boolean (value, priv->create_room);
      break;
    case PROP_AUTH_TOKEN:
      get_string_property (value, priv->token);
      break;
    case PROP_API_SECRET:
      get_string_property (value, priv->apisecret);
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint (value, priv->keepalive_s);
      break;
    case PROP_RETRIES:
      g_value_set_uint (value, priv->retries);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, priv->timeout_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
rtc_janus_signaller_dispose (GObject *object)
{
  rtc_janus_signaller_stop (RTC_SIGNALLER (object));
  G_OBJECT_CLASS (rtc_janus_signaller_parent_class)->dispose (object);
}

static void
rtc_janus_signaller_finalize (GObject *object)
{
  delete RTC_JANUS_SIGNALLER (object)->priv;
  G_OBJECT_CLASS (rtc_janus_signaller_parent_class)->finalize (object);
}

static void
rtc_janus_signaller_init (RtcJanusSignaller *self)
{
  self->priv = new RtcJanusSignallerPrivate ();
}

static void
rtc_janus_signaller_class_init (RtcJanusSignallerClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  gobject_class->set_property = rtc_janus_signaller_set_property;
  gobject_class->get_property = rtc_janus_signaller_get_property;
  gobject_class->dispose = rtc_janus_signaller_dispose;
  gobject_class->finalize = rtc_janus_signaller_finalize;

  const auto rw = static_cast<GParamFlags> (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  const auto ro = static_cast<GParamFlags> (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (
      gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
                           "Janus HTTP API, janus+http(s)://HOST:PORT/PATH (e.g. "
                           "janus+http://127.0.0.1:8088/janus); read at start",
                           nullptr, rw));
  g_object_class_install_property (gobject_class, PROP_ROOM,
                                   g_param_spec_uint64 ("room", "Room",
                                                        "VideoRoom room to publish in", 0,
                                                        G_MAXINT64, DEFAULT_ROOM, rw));
  g_object_class_install_property (gobject_class, PROP_DISPLAY,
                                   g_param_spec_string ("display", "Display name",
                                                        "The publisher's display name in the room",
                                                        DEFAULT_DISPLAY, rw));
  g_object_class_install_property (
      gobject_class, PROP_PIN,
      g_param_spec_string ("pin", "PIN", "PIN of the room (to join it, and set on creation)",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_SECRET,
      g_param_spec_string ("secret", "Room secret",
                           "Secret of the room when create-room creates it", nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_CREATE_ROOM,
      g_param_spec_boolean ("create-room", "Create room",
                            "Create the room when it does not exist, with the offer's codecs as "
                            "videocodec and audiocodec",
                            DEFAULT_CREATE_ROOM, rw));
  g_object_class_install_property (
      gobject_class, PROP_AUTH_TOKEN,
      g_param_spec_string ("auth-token", "Auth token",
                           "Janus API token (\"token\" of every request) when Janus requires one",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_API_SECRET,
      g_param_spec_string ("api-secret", "API secret",
                           "Janus API secret (\"apisecret\" of every request) when Janus requires "
                           "one",
                           nullptr, rw));
  g_object_class_install_property (
      gobject_class, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint ("keepalive-interval", "Keepalive interval",
                         "Seconds between keepalives of the Janus session (Janus drops sessions "
                         "silent for 60 s)",
                         1, 59, DEFAULT_KEEPALIVE, rw));
  g_object_class_install_property (
      gobject_class, PROP_RETRIES,
      g_param_spec_uint ("retries", "Retries",
                         "Further attempts, 1 s apart, when Janus is unreachable or refuses; then "
                         "an element error",
                         0, 1000, DEFAULT_RETRIES, rw));
  g_object_class_install_property (
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
                         "Milliseconds one request may take (rounded up to seconds; not the "
                         "long poll), and how long stop waits for leave and destroy",
                         100, 600000, DEFAULT_TIMEOUT, rw));
  g_object_class_install_property (
      gobject_class, PROP_PUBLISHER_ID,
      g_param_spec_uint64 ("publisher-id", "Publisher id",
                           "Our publisher id in the room once joined, 0 before", 0, G_MAXUINT64, 0,
                           ro));
}
