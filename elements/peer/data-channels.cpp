#include "data-channels.h"

#include "gst-ptr.h"

#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_EXTERN (rtc_peer_bin_debug);
#define GST_CAT_DEFAULT rtc_peer_bin_debug

namespace rtc::peer
{

namespace
{
struct Message
{
  Ptr<GBytes> data; // binary, or the text's bytes without the NUL
  bool text = false;
  gsize size () const { return data ? g_bytes_get_size (data.get ()) : 0; }
};

struct Channel
{
  Ptr<GstWebRTCDataChannel> dc;
  std::string label;
  std::vector<gulong> handlers;
  // Under State::lock:
  bool open = false;
  bool flushing = false; // the queue is being sent: new messages go behind it
  bool closed = false;
  bool announced = false; // "opened" was emitted
  std::deque<Message> queue;
  gsize queued_bytes = 0;
};
} // namespace

struct DataChannels::State
{
  mutable std::mutex lock; // guards the channels and their flags, and events
  std::vector<std::shared_ptr<Channel>> channels;
  Events events;
  std::atomic<guint> max_size{ 262144 };
  std::atomic<guint64> sent{ 0 }, received{ 0 }, dropped{ 0 }, bytes_sent{ 0 }, bytes_received{ 0 };
};

namespace
{
using StatePtr = std::shared_ptr<DataChannels::State>;

// What a handler on a GstWebRTCDataChannel holds: both stay alive while it runs, even when the
// peer bin is being torn down at that moment.
struct Hook
{
  StatePtr s;
  std::shared_ptr<Channel> ch;
};

DataChannels::Events
events_of (const StatePtr &s)
{
  std::lock_guard l (s->lock);
  return s->events;
}

bool
send_now (const StatePtr &s, Channel &ch, const Message &m)
{
  Error err;
  gboolean ok;
  if (m.text)
    {
      gsize n = 0;
      const auto *bytes = static_cast<const gchar *> (g_bytes_get_data (m.data.get (), &n));
      std::string text (bytes ? bytes : "", n);
      ok = gst_webrtc_data_channel_send_string_full (ch.dc.get (), text.c_str (), err.out ());
    }
  else
    ok = gst_webrtc_data_channel_send_data_full (ch.dc.get (), m.data.get (), err.out ());
  if (!ok)
    {
      GST_WARNING ("data channel '%s': could not send a %zu-byte message: %s", ch.label.c_str (),
                   m.size (), err.message ());
      return false;
    }
  s->sent++;
  s->bytes_sent += m.size ();
  return true;
}

// Sends what was queued before the channel opened, in order; new messages queue behind.
void
flush (const StatePtr &s, Channel &ch)
{
  for (;;)
    {
      Message m;
      {
        std::lock_guard l (s->lock);
        if (ch.queue.empty () || ch.closed)
          {
            ch.flushing = false;
            return;
          }
        m = std::move (ch.queue.front ());
        ch.queue.pop_front ();
        ch.queued_bytes -= m.size ();
      }
      send_now (s, ch, m);
    }
}

void
on_open (GstWebRTCDataChannel *, Hook *h)
{
  bool announce;
  {
    std::lock_guard l (h->s->lock);
    if (h->ch->closed || h->ch->open)
      return;
    h->ch->open = true;
    h->ch->flushing = true;
    announce = !h->ch->announced;
    h->ch->announced = true;
  }
  GST_INFO ("data channel '%s' is open", h->ch->label.c_str ());
  if (auto ev = events_of (h->s); announce && ev.opened)
    ev.opened (h->ch->label.c_str ());
  flush (h->s, *h->ch);
}

void
disconnect (Channel &ch)
{
  for (gulong id : ch.handlers)
    g_signal_handler_disconnect (ch.dc.get (), id);
  ch.handlers.clear ();
}

void
on_close (GstWebRTCDataChannel *, Hook *h)
{
  bool announce;
  std::shared_ptr<Channel> keep = h->ch; // disconnect() frees this handler's Hook
  {
    std::lock_guard l (h->s->lock);
    if (keep->closed)
      return;
    keep->closed = true;
    announce = keep->announced;
    if (!keep->queue.empty ())
      GST_WARNING ("data channel '%s' closed with %zu message(s) never sent", keep->label.c_str (),
                   keep->queue.size ());
    keep->queue.clear ();
    auto &v = h->s->channels;
    for (auto it = v.begin (); it != v.end (); ++it)
      if (*it == keep)
        {
          v.erase (it);
          break;
        }
  }
  StatePtr s = h->s;
  GST_INFO ("data channel '%s' closed", keep->label.c_str ());
  disconnect (*keep);
  if (auto ev = events_of (s); announce && ev.closed)
    ev.closed (keep->label.c_str ());
}

void
on_error (GstWebRTCDataChannel *, GError *error, Hook *h)
{
  GST_WARNING ("data channel '%s': %s", h->ch->label.c_str (), error ? error->message : "error");
}

// False (and counted) when @size is over the limit.
bool
accept_incoming (const StatePtr &s, const Channel &ch, gsize size)
{
  const guint max = s->max_size;
  if (max && size > max)
    {
      s->dropped++;
      GST_WARNING ("data channel '%s': dropped a received %zu-byte message, over "
                   "max-message-size %u",
                   ch.label.c_str (), size, max);
      return false;
    }
  s->received++;
  s->bytes_received += size;
  return true;
}

void
on_message_string (GstWebRTCDataChannel *, const gchar *text, Hook *h)
{
  if (!text || !accept_incoming (h->s, *h->ch, strlen (text)))
    return;
  if (auto ev = events_of (h->s); ev.message)
    ev.message (h->ch->label.c_str (), text);
}

void
on_message_data (GstWebRTCDataChannel *, GBytes *data, Hook *h)
{
  Ptr<GBytes> bytes = data ? Ptr<GBytes>::ref (data) : Ptr<GBytes> (g_bytes_new (nullptr, 0));
  if (!accept_incoming (h->s, *h->ch, g_bytes_get_size (bytes.get ())))
    return;
  if (auto ev = events_of (h->s); ev.data)
    ev.data (h->ch->label.c_str (), bytes.get ());
}

template <typename F>
gulong
connect_hook (const StatePtr &s, const std::shared_ptr<Channel> &ch, const char *signal, F func)
{
  return g_signal_connect_data (
      ch->dc.get (), signal, G_CALLBACK (func), new Hook{ s, ch },
      [] (gpointer d, GClosure *) { delete static_cast<Hook *> (d); }, GConnectFlags (0));
}

// Adds @dc (a new reference) to the list and follows it; announces it when already open.
void
track (const StatePtr &s, Ptr<GstWebRTCDataChannel> dc)
{
  auto ch = std::make_shared<Channel> ();
  ch->dc = std::move (dc);
  GStr label;
  g_object_get (ch->dc.get (), "label", label.out (), nullptr);
  ch->label = label.c_str ();
  ch->handlers.push_back (connect_hook (s, ch, "on-open", on_open));
  ch->handlers.push_back (connect_hook (s, ch, "on-close", on_close));
  ch->handlers.push_back (connect_hook (s, ch, "on-error", on_error));
  ch->handlers.push_back (connect_hook (s, ch, "on-message-string", on_message_string));
  ch->handlers.push_back (connect_hook (s, ch, "on-message-data", on_message_data));
  {
    std::lock_guard l (s->lock);
    s->channels.push_back (ch);
  }
  // A channel the remote peer opened is open before webrtcbin hands it over.
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CONNECTING;
  g_object_get (ch->dc.get (), "ready-state", &state, nullptr);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    {
      Hook h{ s, ch };
      on_open (ch->dc.get (), &h);
    }
}

// The channel @label names (see send_text()), or nullptr. Under s->lock.
std::shared_ptr<Channel>
find_locked (const StatePtr &s, const gchar *label)
{
  if (label)
    {
      for (auto &ch : s->channels)
        if (!ch->closed && ch->label == label)
          return ch;
      return nullptr;
    }
  for (auto &ch : s->channels)
    if (!ch->closed && ch->label == "rtckit")
      return ch;
  for (auto &ch : s->channels)
    if (!ch->closed && ch->open)
      return ch;
  for (auto &ch : s->channels)
    if (!ch->closed)
      return ch;
  return nullptr;
}

bool
send (const StatePtr &s, const gchar *label, Message m)
{
  const guint max = s->max_size;
  if (max && m.size () > max)
    {
      GST_WARNING ("refusing to send a %zu-byte message: over max-message-size %u", m.size (), max);
      return false;
    }
  std::shared_ptr<Channel> ch;
  {
    std::lock_guard l (s->lock);
    ch = find_locked (s, label);
    if (!ch)
      {
        GST_WARNING ("no data channel %s%s%s to send on", label ? "'" : "(any)", label ? label : "",
                     label ? "'" : "");
        return false;
      }
    if (!ch->open || ch->flushing)
      {
        if (ch->queue.size () >= kMaxQueuedMessages
            || ch->queued_bytes + m.size () > kMaxQueuedBytes)
          {
            GST_WARNING ("data channel '%s' is not open and already holds %zu message(s), %zu "
                         "bytes: refusing another",
                         ch->label.c_str (), ch->queue.size (), ch->queued_bytes);
            return false;
          }
        ch->queued_bytes += m.size ();
        ch->queue.push_back (std::move (m));
        return true;
      }
  }
  return send_now (s, *ch, m);
}
} // namespace

DataChannels::DataChannels () : s_ (std::make_shared<State> ()) {}

DataChannels::~DataChannels () { close_all (); }

void
DataChannels::set_events (Events events)
{
  std::lock_guard l (s_->lock);
  s_->events = std::move (events);
}

void
DataChannels::set_max_message_size (guint bytes)
{
  s_->max_size = bytes;
}

guint
DataChannels::max_message_size () const
{
  return s_->max_size;
}

bool
DataChannels::create (GstElement *webrtc, const gchar *label)
{
  if (!label)
    return false;
  {
    std::lock_guard l (s_->lock);
    for (auto &ch : s_->channels)
      if (!ch->closed && ch->label == label)
        {
          GST_WARNING ("a data channel '%s' exists already", label);
          return false;
        }
  }
  // Defaults: ordered, reliable.
  GstWebRTCDataChannel *dc = nullptr;
  g_signal_emit_by_name (webrtc, "create-data-channel", label, nullptr, &dc);
  if (!dc)
    {
      GST_WARNING ("webrtcbin made no data channel '%s' (closed, or no SCTP elements)", label);
      return false;
    }
  track (s_, Ptr<GstWebRTCDataChannel> (dc));
  return true;
}

void
DataChannels::adopt (GObject *channel)
{
  track (s_, Ptr<GstWebRTCDataChannel>::ref (GST_WEBRTC_DATA_CHANNEL (channel)));
}

bool
DataChannels::send_text (const gchar *label, const gchar *text)
{
  if (!text)
    return false;
  Message m;
  m.text = true;
  m.data = Ptr<GBytes> (g_bytes_new (text, strlen (text)));
  return send (s_, label, std::move (m));
}

bool
DataChannels::send_data (const gchar *label, GBytes *data)
{
  if (!data)
    return false;
  Message m;
  m.data = Ptr<GBytes>::ref (data);
  return send (s_, label, std::move (m));
}

void
DataChannels::close_all ()
{
  std::vector<std::shared_ptr<Channel>> channels;
  std::vector<std::string> announced;
  {
    std::lock_guard l (s_->lock);
    channels = std::move (s_->channels);
    s_->channels.clear ();
    for (auto &ch : channels)
      {
        if (ch->announced && !ch->closed)
          announced.push_back (ch->label);
        ch->closed = true;
        ch->queue.clear ();
      }
  }
  // webrtcbin 1.22: a channel still open when webrtcbin stops is freed under its feet (use
  // after free) and sctpenc can deadlock on shutdown; close them, without our handlers, first.
  auto state_of = [] (Channel &ch) {
    GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;
    g_object_get (ch.dc.get (), "ready-state", &state, nullptr);
    return state;
  };
  for (auto &ch : channels)
    {
      disconnect (*ch);
      const auto state = state_of (*ch);
      // The close task (it removes the channel's sctpenc pad) runs on webrtcbin's thread before
      // the element stops: the caller drains webrtcbin's operations next.
      if (state == GST_WEBRTC_DATA_CHANNEL_STATE_CONNECTING
          || state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
        gst_webrtc_data_channel_close (ch->dc.get ());
    }
  auto ev = events_of (s_);
  for (auto &label : announced)
    if (ev.closed)
      ev.closed (label.c_str ());
}

ChannelCounts
DataChannels::counts () const
{
  ChannelCounts c;
  c.messages_sent = s_->sent;
  c.messages_received = s_->received;
  c.messages_dropped = s_->dropped;
  c.bytes_sent = s_->bytes_sent;
  c.bytes_received = s_->bytes_received;
  return c;
}

} // namespace rtc::peer
