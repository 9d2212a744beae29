// The data channels of one peer connection: the ones we create (offerer), the ones the remote
// peer opens, sending with a bounded queue until a channel opens, receiving with a size limit.
// Plain C++ on top of webrtcbin's GstWebRTCDataChannel; the element turns Events into signals.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>

namespace rtc::peer
{

struct ChannelCounts
{
  guint64 messages_sent = 0;
  guint64 messages_received = 0;
  guint64 messages_dropped = 0; // received over max-message-size
  guint64 bytes_sent = 0;
  guint64 bytes_received = 0;
};

// Messages queued per channel before it opens, at most.
constexpr guint kMaxQueuedMessages = 64;
constexpr gsize kMaxQueuedBytes = 1024 * 1024;

class DataChannels
{
public:
  // Called from webrtcbin's threads (or from close_all()'s caller), with no lock held.
  struct Events
  {
    std::function<void (const gchar *label)> opened;
    std::function<void (const gchar *label)> closed;
    std::function<void (const gchar *label, const gchar *text)> message;
    std::function<void (const gchar *label, GBytes *data)> data;
  };

  DataChannels ();
  ~DataChannels ();
  DataChannels (const DataChannels &) = delete;
  DataChannels &operator= (const DataChannels &) = delete;

  void set_events (Events events);
  void set_max_message_size (guint bytes); // 0: no limit
  guint max_message_size () const;

  // An ordered, reliable channel @label on @webrtc (before the offer: the offer then has an SCTP
  // m-line). FALSE when webrtcbin made none or a channel of that label is open or opening.
  bool create (GstElement *webrtc, const gchar *label);
  // Takes a channel the remote peer opened (webrtcbin's on-data-channel).
  void adopt (GObject *channel);

  // @label NULL: the channel "rtckit", else the first open one, else the first still opening.
  bool send_text (const gchar *label, const gchar *text);
  bool send_data (const gchar *label, GBytes *data);

  // Teardown, before webrtcbin stops: disconnects our handlers and closes every channel.
  void close_all ();

  ChannelCounts counts () const;

  struct State;

private:
  std::shared_ptr<State> s_;
};

} // namespace rtc::peer
