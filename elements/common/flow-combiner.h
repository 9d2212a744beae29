// Demuxer-like flow returns for an element's sometimes src pads (ghost pads): a pad nobody
// linked does not stop the others. A push on such a pad returns not-linked upstream only when
// every pad of the element is unlinked, and EOS only when all are at EOS, as GstFlowCombiner
// decides for demuxers.
#pragma once

#include <gst/base/gstflowcombiner.h>
#include <gst/gst.h>

#include <mutex>

namespace rtc
{

class PadFlowCombiner
{
public:
  // @drop_unlinked: not-linked never goes upstream (the data of unlinked pads is dropped).
  explicit PadFlowCombiner (bool drop_unlinked = false);
  ~PadFlowCombiner ();
  PadFlowCombiner (const PadFlowCombiner &) = delete;
  PadFlowCombiner &operator= (const PadFlowCombiner &) = delete;

  // Routes the data of @ghost (a src GstGhostPad) through the combiner. Any thread; call it
  // before data can flow on @ghost. The combiner must outlive the pad's streaming.
  void add (GstPad *ghost);
  // Any thread; safe while data flows on other pads.
  void remove (GstPad *ghost);

private:
  static GstFlowReturn chain (GstPad *internal, GstObject *parent, GstBuffer *buffer);
  static GstFlowReturn chain_list (GstPad *internal, GstObject *parent, GstBufferList *list);
  GstFlowReturn combine (GstPad *internal, GstFlowReturn ret);

  std::mutex lock_; // guards combiner_ (GstFlowCombiner is not thread-safe); a leaf lock
  GstFlowCombiner *combiner_;
  const bool drop_unlinked_;
};

} // namespace rtc
