/**
 * SECTION:element-rtcusermediasrc
 * @title: rtcusermediasrc
 *
 * getUserMedia() as an element: a camera on the always src pad `video` and a microphone on the
 * always src pad `audio`, both raw and live, chosen by constraints written as a browser page
 * writes them. Each value is ideal unless qualified with `exact:`, `min:` or `max:` (several
 * joined with `;`):
 *
 *   video-constraints="width=1280,height=720,frame-rate=30,facing-mode=user"
 *   audio-constraints="channel-count=1,sample-rate=48000,echo-cancellation=true"
 *   video-constraints="width=exact:1280,frame-rate=min:15;max:30"
 *
 * Devices come from a #GstDeviceMonitor (classes Video/Source and Audio/Source). Among every
 * mode of every device (each caps structure, ranges included) the element takes the one with
 * the smallest W3C fitness distance, the native mode whenever one fits: raw formats before MJPEG
 * at equal distance (MJPEG is decoded with jpegdec), and videoscale/videorate (down only) or
 * audioconvert/audioresample only where an exact, min or max constraint needs them. A required
 * constraint that no device meets is an element error naming it, like the browser's
 * OverconstrainedError (the error's details carry `constraint`).
 *
 * With no camera or no microphone the element fails with an error naming what is missing;
 * `fallback=test` plays live test sources with the constrained caps instead and posts the
 * element message `rtckit-usermedia-fallback`. The choice is posted as
 * `rtckit-usermedia-selected` (kind, device-id, label, mode, caps, distance, fallback). A device
 * unplugged while playing ends its pad with EOS and posts `rtckit-usermedia-ended` (the track's
 * `ended` event); the other pad goes on.
 *
 * `echo-cancellation`, `noise-suppression` and `auto-gain-control` run webrtcdsp
 * (gst-plugins-bad). Its echo canceller needs a webrtcechoprobe on the playback path: without
 * one (see #GstRtcUserMediaSrc:echo-probe) only noise suppression and gain control run, and a
 * warning says so; `echo-cancellation=exact:true` is then an error.
 *
 * The action signal `enumerate-devices` returns the devices as JSON: device-id, kind, label,
 * device-class, capabilities and modes.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtcusermediasrc name=m video-constraints="width=1280,height=720" \
 *     m.video ! queue ! rtcbroadcastsink name=s m.audio ! queue ! s.
 * gst-launch-1.0 rtcusermediasrc fallback=test audio=false ! videoconvert ! autovideosink
 * ]|
 */
#include "elements/usermedia/src-private.h"

#include "elements/elements.h"

GST_DEBUG_CATEGORY (rtc_user_media_src_debug);

using namespace rtc::umsrc;

enum
{
  PROP_0,
  PROP_VIDEO,
  PROP_AUDIO,
  PROP_VIDEO_CONSTRAINTS,
  PROP_AUDIO_CONSTRAINTS,
  PROP_VIDEO_DEVICE_ID,
  PROP_AUDIO_DEVICE_ID,
  PROP_FALLBACK,
  PROP_ECHO_PROBE,
};

static GstStaticPadTemplate video_template = GST_STATIC_PAD_TEMPLATE (
    "video", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw"));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE (
    "audio", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw"));

G_DEFINE_TYPE (GstRtcUserMediaSrc, gst_rtc_user_media_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (rtcusermediasrc, "rtcusermediasrc", GST_RANK_NONE,
                             GST_TYPE_RTC_USER_MEDIA_SRC);

GType
gst_rtc_user_media_fallback_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    { GST_RTC_USER_MEDIA_FALLBACK_NONE, "None: an element error names what is missing", "none" },
    { GST_RTC_USER_MEDIA_FALLBACK_TEST, "Live test sources (videotestsrc, audiotestsrc)", "test" },
    { 0, nullptr, nullptr },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstRtcUserMediaFallback", values));
  return type;
}

/* ---- the end of a track ---- */

// The track's `ended`: EOS out of its pad, a message, and errors of its source swallowed.
static void
end_track (GstRtcUserMediaSrc *self, int i, const char *reason)
{
  Ptr<GstElement> source;
  std::string id, label;
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    Track &t = self->priv->tracks[i];
    if (t.ended || t.elements.empty ())
      return;
    t.ended = true;
    source = t.elements.front ();
    id = t.device_id;
    label = t.label;
  }
  GST_INFO_OBJECT (self, "%s track ended: %s", pad_name (i), reason);
  // A bin sends a downstream event to its sources; a basesrc then pushes EOS from its own
  // streaming thread, so nothing races with the buffers in flight.
  gst_element_send_event (source.get (), gst_event_new_eos ());
  post_element_message (
      self, gst_structure_new ("rtckit-usermedia-ended", "kind", G_TYPE_STRING, pad_name (i),
                               "device-id", G_TYPE_STRING, id.c_str (), "label", G_TYPE_STRING,
                               label.c_str (), "reason", G_TYPE_STRING, reason, nullptr));
}

// The device monitor's bus, synchronously on the provider's thread.
static GstBusSyncReply
on_monitor_message (GstBus *, GstMessage *msg, gpointer user_data)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (user_data);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_DEVICE_REMOVED)
    {
      GstDevice *device;
      gst_message_parse_device_removed (msg, &device);
      Ptr<GstDevice> removed (device);
      for (int i = 0; i < 2; i++)
        {
          bool ours;
          {
            std::lock_guard<std::mutex> lock (self->priv->state_lock);
            ours = self->priv->tracks[i].device.get () == device;
          }
          if (ours)
            end_track (self, i, "device-removed");
        }
    }
  return GST_BUS_DROP;
}

// Which track @obj belongs to (-1: none).
static int
track_of (GstRtcUserMediaSrc *self, GstObject *obj, bool *ended, Ptr<GstDevice> *device)
{
  std::lock_guard<std::mutex> lock (self->priv->state_lock);
  for (int i = 0; i < 2; i++)
    {
      Track &t = self->priv->tracks[i];
      if (!t.elements.empty ()
          && gst_object_has_as_ancestor (obj, GST_OBJECT (t.elements.front ().get ())))
        {
          *ended = t.ended;
          *device = t.device;
          return i;
        }
    }
  return -1;
}

static bool
monitor_lists (GstRtcUserMediaSrc *self, GstDevice *device)
{
  Ptr<GstDeviceMonitor> monitor;
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    monitor = self->priv->monitor;
  }
  if (!monitor)
    return true;
  GList *list = gst_device_monitor_get_devices (monitor.get ());
  bool found = g_list_find (list, device) != nullptr;
  g_list_free_full (list, gst_object_unref);
  return found;
}

static void
gst_rtc_user_media_src_handle_message (GstBin *bin, GstMessage *msg)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (bin);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    {
      bool ended = false;
      Ptr<GstDevice> device;
      int i = track_of (self, GST_MESSAGE_SRC (msg), &ended, &device);
      // A capture element fails when its device is pulled out, sometimes before the provider
      // tells: either way the track ends and the pipeline goes on.
      if (i >= 0 && (ended || (device && !monitor_lists (self, device.get ()))))
        {
          GST_INFO_OBJECT (self, "dropping an error of the ended %s track", pad_name (i));
          end_track (self, i, "device-error");
          gst_message_unref (msg);
          return;
        }
    }
  GST_BIN_CLASS (gst_rtc_user_media_src_parent_class)->handle_message (bin, msg);
}

/* ---- state ---- */

static void
stop (GstRtcUserMediaSrc *self)
{
  Ptr<GstDeviceMonitor> monitor;
  std::vector<Ptr<GstElement>> elements[2];
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    monitor = std::move (self->priv->monitor);
    for (int i = 0; i < 2; i++)
      {
        elements[i] = std::move (self->priv->tracks[i].elements);
        self->priv->tracks[i] = Track ();
      }
  }
  if (monitor)
    {
      gst_device_monitor_stop (monitor.get ());
      Ptr<GstBus> bus (gst_device_monitor_get_bus (monitor.get ()));
      gst_bus_set_sync_handler (bus.get (), nullptr, nullptr, nullptr);
    }
  for (int i = 0; i < 2; i++)
    {
      if (self->pads[i])
        gst_ghost_pad_set_target (GST_GHOST_PAD (self->pads[i]), nullptr);
      remove_elements (self, elements[i]);
    }
}

static bool
start (GstRtcUserMediaSrc *self)
{
  Settings s;
  {
    std::lock_guard<std::mutex> lock (self->priv->settings_lock);
    s = self->priv->settings;
  }

  Ptr<GstDeviceMonitor> monitor (gst_device_monitor_new ());
  if (s.enabled[kVideo])
    gst_device_monitor_add_filter (monitor.get (), "Video/Source", nullptr);
  if (s.enabled[kAudio])
    gst_device_monitor_add_filter (monitor.get (), "Audio/Source", nullptr);
  {
    Ptr<GstBus> bus (gst_device_monitor_get_bus (monitor.get ()));
    gst_bus_set_sync_handler (bus.get (), on_monitor_message, self, nullptr);
  }
  // FALSE when no provider matches: that is the same as no device.
  if (!gst_device_monitor_start (monitor.get ()))
    GST_INFO_OBJECT (self, "no device provider started");
  {
    std::lock_guard<std::mutex> lock (self->priv->state_lock);
    self->priv->monitor = monitor;
  }
  std::vector<Ptr<GstDevice>> devices;
  GList *list = gst_device_monitor_get_devices (monitor.get ());
  for (GList *l = list; l; l = l->next)
    devices.emplace_back (GST_DEVICE (l->data));
  g_list_free (list);

  AudioProcessing ap;
  if (s.enabled[kAudio])
    {
      Ptr<GstElementFactory> dsp (gst_element_factory_find ("webrtcdsp"));
      ap.available = (bool)dsp;
      ap.probe = find_echo_probe (self, s.echo_probe);
    }

  for (int i = 0; i < 2; i++)
    if (s.enabled[i] && !start_track (self, i, s, devices, ap))
      return false;
  return true;
}

static GstStateChangeReturn
gst_rtc_user_media_src_change_state (GstElement *element, GstStateChange transition)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !start (self))
    {
      stop (self);
      return GST_STATE_CHANGE_FAILURE;
    }
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (gst_rtc_user_media_src_parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL
      || (transition == GST_STATE_CHANGE_NULL_TO_READY && ret == GST_STATE_CHANGE_FAILURE))
    stop (self);
  // A live source: no preroll, whatever the children say.
  if (ret == GST_STATE_CHANGE_SUCCESS && transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    ret = GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

/* ---- enumerate-devices ---- */

static gchar *
enumerate_devices (GstRtcUserMediaSrc *)
{
  // A monitor of its own: it probes when not started and leaves the running one alone.
  Ptr<GstDeviceMonitor> monitor (gst_device_monitor_new ());
  gst_device_monitor_add_filter (monitor.get (), "Video/Source", nullptr);
  gst_device_monitor_add_filter (monitor.get (), "Audio/Source", nullptr);
  std::vector<Ptr<GstDevice>> devices;
  GList *list = gst_device_monitor_get_devices (monitor.get ());
  for (int i = 0; i < 2; i++)
    for (GList *l = list; l; l = l->next)
      if (um::is_input (GST_DEVICE (l->data), kind_of (i)))
        devices.push_back (Ptr<GstDevice>::ref (GST_DEVICE (l->data)));
  g_list_free_full (list, gst_object_unref);
  return g_strdup (um::devices_json (devices).c_str ());
}

/* ---- properties ---- */

static void
set_pad_enabled (GstRtcUserMediaSrc *self, int i, bool enabled)
{
  if (enabled && !self->pads[i])
    {
      Ptr<GstPadTemplate> tmpl (
          gst_static_pad_template_get (i == kVideo ? &video_template : &audio_template));
      self->pads[i] = gst_ghost_pad_new_no_target_from_template (pad_name (i), tmpl.get ());
      gst_element_add_pad (GST_ELEMENT (self), self->pads[i]);
    }
  else if (!enabled && self->pads[i])
    {
      GstPad *pad = self->pads[i];
      self->pads[i] = nullptr;
      gst_element_remove_pad (GST_ELEMENT (self), pad);
    }
}

// A malformed string is caught when set (a warning) and again at the state change (an error).
static void
check_constraints (GstRtcUserMediaSrc *self, int i, const std::string &text)
{
  um::Constraints cs;
  um::ParseError e;
  if (!um::parse_constraints (text.c_str (), kind_of (i), cs, e))
    GST_ELEMENT_WARNING (
        self, RESOURCE, SETTINGS,
        ("Bad %s-constraints, field '%s': %s.", pad_name (i), e.field.c_str (), e.message.c_str ()),
        ("%s-constraints=\"%s\"", pad_name (i), text.c_str ()));
}

static void
gst_rtc_user_media_src_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (object);
  auto str = [&] () {
    const char *v = g_value_get_string (value);
    return std::string (v ? v : "");
  };
  int pad_change = -1;
  bool pad_enabled = false;
  int check = -1;
  std::string text;
  {
    std::lock_guard<std::mutex> lock (self->priv->settings_lock);
    Settings &s = self->priv->settings;
    switch (prop_id)
      {
      case PROP_VIDEO:
      case PROP_AUDIO:
        pad_change = prop_id == PROP_VIDEO ? kVideo : kAudio;
        pad_enabled = g_value_get_boolean (value);
        s.enabled[pad_change] = pad_enabled;
        break;
      case PROP_VIDEO_CONSTRAINTS:
      case PROP_AUDIO_CONSTRAINTS:
        check = prop_id == PROP_VIDEO_CONSTRAINTS ? kVideo : kAudio;
        text = s.constraints[check] = str ();
        break;
      case PROP_VIDEO_DEVICE_ID:
        s.device_id[kVideo] = str ();
        break;
      case PROP_AUDIO_DEVICE_ID:
        s.device_id[kAudio] = str ();
        break;
      case PROP_FALLBACK:
        s.fallback = (GstRtcUserMediaFallback)g_value_get_enum (value);
        break;
      case PROP_ECHO_PROBE:
        s.echo_probe = str ();
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        return;
      }
  }
  if (pad_change >= 0)
    set_pad_enabled (self, pad_change, pad_enabled);
  if (check >= 0)
    check_constraints (self, check, text);
}

static void
gst_rtc_user_media_src_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (object);
  Settings s;
  {
    std::lock_guard<std::mutex> lock (self->priv->settings_lock);
    s = self->priv->settings;
  }
  auto set_str = [&] (const std::string &v) {
    g_value_set_string (value, v.empty () ? nullptr : v.c_str ());
  };
  switch (prop_id)
    {
    case PROP_VIDEO:
      g_value_set_boolean (value, s.enabled[kVideo]);
      break;
    case PROP_AUDIO:
      g_value_set_boolean (value, s.enabled[kAudio]);
      break;
    case PROP_VIDEO_CONSTRAINTS:
      set_str (s.constraints[kVideo]);
      break;
    case PROP_AUDIO_CONSTRAINTS:
      set_str (s.constraints[kAudio]);
      break;
    case PROP_VIDEO_DEVICE_ID:
      set_str (s.device_id[kVideo]);
      break;
    case PROP_AUDIO_DEVICE_ID:
      set_str (s.device_id[kAudio]);
      break;
    case PROP_FALLBACK:
      g_value_set_enum (value, s.fallback);
      break;
    case PROP_ECHO_PROBE:
      set_str (s.echo_probe);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
    }
}

static void
gst_rtc_user_media_src_finalize (GObject *object)
{
  auto *self = GST_RTC_USER_MEDIA_SRC (object);
  delete self->priv;
  G_OBJECT_CLASS (gst_rtc_user_media_src_parent_class)->finalize (object);
}

static void
gst_rtc_user_media_src_init (GstRtcUserMediaSrc *self)
{
  self->priv = new Private ();
  self->pads[kVideo] = self->pads[kAudio] = nullptr;
  set_pad_enabled (self, kVideo, true);
  set_pad_enabled (self, kAudio, true);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_rtc_user_media_src_class_init (GstRtcUserMediaSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->set_property = gst_rtc_user_media_src_set_property;
  gobject_class->get_property = gst_rtc_user_media_src_get_property;
  gobject_class->finalize = gst_rtc_user_media_src_finalize;
  element_class->change_state = gst_rtc_user_media_src_change_state;
  bin_class->handle_message = gst_rtc_user_media_src_handle_message;

  auto null_only = (GParamFlags)(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  // Read when going from NULL to READY, where the devices are chosen.

  g_object_class_install_property (
      gobject_class, PROP_VIDEO,
      g_param_spec_boolean ("video", "Video",
                            "Capture video on the 'video' pad (false: the pad is removed)",
                            DEFAULT_VIDEO, null_only));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO,
      g_param_spec_boolean ("audio", "Audio",
                            "Capture audio on the 'audio' pad (false: the pad is removed)",
                            DEFAULT_AUDIO, null_only));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_CONSTRAINTS,
      g_param_spec_string (
          "video-constraints", "Video constraints",
          "Camera constraints as a browser has them, ideal unless qualified: width, height, "
          "frame-rate, aspect-ratio, facing-mode (user, environment, left, right), device-id; "
          "e.g. \"width=1280,height=720,frame-rate=30\" or "
          "\"width=exact:1280,frame-rate=min:15;max:30\"",
          DEFAULT_CONSTRAINTS, null_only));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_CONSTRAINTS,
      g_param_spec_string (
          "audio-constraints", "Audio constraints",
          "Microphone constraints as a browser has them, ideal unless qualified: sample-rate, "
          "channel-count, sample-size, echo-cancellation, noise-suppression, auto-gain-control "
          "(true/false, run webrtcdsp), device-id; e.g. \"channel-count=1,sample-rate=48000,"
          "noise-suppression=true\"",
          DEFAULT_CONSTRAINTS, null_only));
  g_object_class_install_property (
      gobject_class, PROP_VIDEO_DEVICE_ID,
      g_param_spec_string ("video-device-id", "Video device id",
                           "The camera to use (exact), by the stable id enumerate-devices lists "
                           "(NULL = the best fit)",
                           DEFAULT_DEVICE_ID, null_only));
  g_object_class_install_property (
      gobject_class, PROP_AUDIO_DEVICE_ID,
      g_param_spec_string ("audio-device-id", "Audio device id",
                           "The microphone to use (exact), by the stable id enumerate-devices "
                           "lists (NULL = the best fit)",
                           DEFAULT_DEVICE_ID, null_only));
  g_object_class_install_property (
      gobject_class, PROP_FALLBACK,
      g_param_spec_enum ("fallback", "Fallback",
                         "What to capture when no device of a kind is present (none: an element "
                         "error naming what is missing)",
                         GST_TYPE_RTC_USER_MEDIA_FALLBACK, DEFAULT_FALLBACK, null_only));
  g_object_class_install_property (
      gobject_class, PROP_ECHO_PROBE,
      g_param_spec_string ("echo-probe", "Echo probe",
                           "Name of the webrtcechoprobe on the playback path that "
                           "echo-cancellation needs (NULL = the first one in the pipeline)",
                           DEFAULT_ECHO_PROBE, null_only));

  /**
   * GstRtcUserMediaSrc::enumerate-devices:
   *
   * Lists the cameras and microphones as a JSON array of objects with device-id, kind
   * (videoinput or audioinput), label, device-class, capabilities (width, height,
   * frame-rate, sample-rate, channel-count as {min, max}; facing-mode) and modes (the caps
   * structures as strings).
   */
  g_signal_new_class_handler ("enumerate-devices", G_TYPE_FROM_CLASS (klass),
                              (GSignalFlags)(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                              G_CALLBACK (enumerate_devices), nullptr, nullptr, nullptr,
                              G_TYPE_STRING, 0);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (
      element_class, "RTC user media source", "Source/Video/Audio/Bin",
      "A camera and a microphone chosen by getUserMedia-like constraints (ideal/exact, "
      "device-id, fitness distance), test sources as an opt-in fallback",
      "rtckit developers");

  gst_type_mark_as_plugin_api (GST_TYPE_RTC_USER_MEDIA_FALLBACK, (GstPluginAPIFlags)0);
  GST_DEBUG_CATEGORY_INIT (rtc_user_media_src_debug, "rtcusermediasrc", 0,
                           "rtckit getUserMedia source");
}
