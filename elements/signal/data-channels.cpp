// rtcsignalbin's data channels: the `rtckit` channel of every session, messages in (bounded per
// session, handed to the worker thread, then the `message`/`data` signals and the `rtckit-message`
// bus message) and out (`send-message`/`send-data` to one session or all of them).
#include "signal/session.h"

#include "closure.h"
#include "rtcpeerbin.h"

GST_DEBUG_CATEGORY_EXTERN (rtc_signal_bin_debug);
#define GST_CAT_DEFAULT rtc_signal_bin_debug

namespace rtc
{

namespace
{

// What a peer's message handlers hold; the inbox is the session's too.
struct InboxRef
{
  GstRtcSignalBin *self;
  std::string session_id;
  std::shared_ptr<Inbox> inbox;
};

// Takes one more message of @size into @inbox, or counts it dropped (a flooding peer).
bool
admit_message (GstRtcSignalBin *self, const InboxRef &ref, gsize size)
{
  Inbox &in = *ref.inbox;
  guint queued = in.queued.fetch_add (1) + 1;
  gsize bytes = in.bytes.fetch_add (size) + size;
  if (queued <= kInboxMaxMessages && bytes <= kInboxMaxBytes)
    return true;
  in.queued.fetch_sub (1);
  in.bytes.fetch_sub (size);
  guint64 dropped = in.dropped.fetch_add (1) + 1;
  if (dropped == 1 || dropped % 1000 == 0)
    GST_WARNING_OBJECT (self,
                        "session %s: its data channel messages come faster than they are "
                        "handled; %" G_GUINT64_FORMAT " dropped so far",
                        ref.session_id.c_str (), dropped);
  return false;
}

void
release_message (const std::shared_ptr<Inbox> &inbox, gsize size)
{
  inbox->queued.fetch_sub (1);
  inbox->bytes.fetch_sub (size);
  inbox->received.fetch_add (1);
}

// Worker thread: the subclass first (navigation), then the application.
void
deliver_text (GstRtcSignalBin *self, const std::string &sid, const std::string &label,
              const std::string &text)
{
  Session *s = find_session (self, sid);
  if (!s)
    return;
  auto fn = GST_RTC_SIGNAL_BIN_GET_CLASS (self)->hooks->channel_message;
  if (fn && fn (self, *s, label, text))
    return;
  g_signal_emit_by_name (self, "message", sid.c_str (), label.c_str (), text.c_str ());
  post_element_message (self,
                        gst_structure_new ("rtckit-message", "session-id", G_TYPE_STRING,
                                           sid.c_str (), "label", G_TYPE_STRING, label.c_str (),
                                           "text", G_TYPE_STRING, text.c_str (), nullptr));
}

void
on_peer_message (GstElement *, const gchar *label, const gchar *text, InboxRef *ref)
{
  std::string t = text ? text : "";
  if (!admit_message (ref->self, *ref, t.size ()))
    return;
  auto *self = ref->self;
  std::string sid = ref->session_id, l = label ? label : "";
  auto inbox = ref->inbox;
  run_on_worker (self, [self, sid, l, t, inbox] {
    release_message (inbox, t.size ());
    deliver_text (self, sid, l, t);
  });
}

void
on_peer_data (GstElement *, const gchar *label, GBytes *data, InboxRef *ref)
{
  gsize size = data ? g_bytes_get_size (data) : 0;
  if (!admit_message (ref->self, *ref, size))
    return;
  auto *self = ref->self;
  std::string sid = ref->session_id, l = label ? label : "";
  auto inbox = ref->inbox;
  Ptr<GBytes> bytes = Ptr<GBytes> (data ? g_bytes_ref (data) : g_bytes_new (nullptr, 0));
  run_on_worker (self, [self, sid, l, bytes, inbox, size] {
    release_message (inbox, size);
    if (find_session (self, sid))
      g_signal_emit_by_name (self, "data", sid.c_str (), l.c_str (), bytes.get ());
  });
}

// The peers that take part in a send: one session's, or every session's (@session_id NULL).
std::vector<std::pair<std::string, Ptr<GstElement>>>
peers_for (GstRtcSignalBin *self, const gchar *session_id)
{
  auto &sb = signal_bin (self);
  std::vector<std::pair<std::string, Ptr<GstElement>>> out;
  std::lock_guard lock (sb.peers_lock);
  for (auto &[id, peer] : sb.peers)
    if (!session_id || id == session_id)
      out.emplace_back (id, peer);
  return out;
}

template <typename Send>
gboolean
send_to (GstRtcSignalBin *self, const gchar *session_id, const char *what, Send send)
{
  auto peers = peers_for (self, session_id);
  if (peers.empty ())
    {
      GST_WARNING_OBJECT (self, "%s not sent: %s", what,
                          session_id ? (std::string ("no session ") + session_id).c_str ()
                                     : "no session is running");
      return FALSE;
    }
  gboolean any = FALSE;
  for (auto &[id, peer] : peers)
    any |= send (GST_RTC_PEER_BIN (peer.get ()));
  return any;
}

} // namespace

void
watch_data_channels (GstRtcSignalBin *self, Session &session)
{
  GstElement *peer = session.peer.get ();
  g_object_set (peer, "max-message-size", signal_bin_settings (self).max_message_size, nullptr);
  InboxRef ref{ self, session.session_id, session.inbox };
  connect_boxed (peer, "message", G_CALLBACK (on_peer_message), ref);
  connect_boxed (peer, "data", G_CALLBACK (on_peer_data), ref);
  auto &sb = signal_bin (self);
  std::lock_guard lock (sb.peers_lock);
  sb.peers[session.session_id] = session.peer;
}

void
forget_data_channels (GstRtcSignalBin *self, const std::string &session_id)
{
  auto &sb = signal_bin (self);
  std::lock_guard lock (sb.peers_lock);
  sb.peers.erase (session_id);
}

void
open_data_channels (GstRtcSignalBin *self, Session &session)
{
  if (!signal_bin_settings (self).data_channel)
    return;
  if (!gst_rtc_peer_bin_create_data_channel (GST_RTC_PEER_BIN (session.peer.get ()),
                                             kDataChannelLabel))
    GST_WARNING_OBJECT (self, "session %s: no data channel could be made",
                        session.session_id.c_str ());
}

gboolean
send_message (GstRtcSignalBin *self, const gchar *session_id, const gchar *text)
{
  if (!text)
    return FALSE;
  return send_to (self, session_id, "message", [text] (GstRtcPeerBin *peer) {
    return gst_rtc_peer_bin_send_message (peer, nullptr, text);
  });
}

gboolean
send_data (GstRtcSignalBin *self, const gchar *session_id, GBytes *data)
{
  if (!data)
    return FALSE;
  return send_to (self, session_id, "data", [data] (GstRtcPeerBin *peer) {
    return gst_rtc_peer_bin_send_data (peer, nullptr, data);
  });
}

} // namespace rtc
