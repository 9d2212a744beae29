// rtc::PadFlowCombiner: see flow-combiner.h.
#include "flow-combiner.h"

#include "gst-ptr.h"

namespace rtc
{

PadFlowCombiner::PadFlowCombiner (bool drop_unlinked)
    : combiner_ (gst_flow_combiner_new ()), drop_unlinked_ (drop_unlinked)
{
}

PadFlowCombiner::~PadFlowCombiner () { gst_flow_combiner_free (combiner_); }

void
PadFlowCombiner::add (GstPad *ghost)
{
  g_return_if_fail (GST_IS_GHOST_PAD (ghost));
  {
    std::lock_guard l (lock_);
    gst_flow_combiner_add_pad (combiner_, ghost);
  }
  // The internal pad receives what the target pushes and forwards it to the ghost pad: its
  // chain functions see the ghost pad's own flow return.
  Ptr<GstPad> internal (GST_PAD (gst_proxy_pad_get_internal (GST_PROXY_PAD (ghost))));
  gst_pad_set_chain_function_full (internal.get (), chain, this, nullptr);
  gst_pad_set_chain_list_function_full (internal.get (), chain_list, this, nullptr);
}

void
PadFlowCombiner::remove (GstPad *ghost)
{
  std::lock_guard l (lock_);
  gst_flow_combiner_remove_pad (combiner_, ghost);
}

GstFlowReturn
PadFlowCombiner::combine (GstPad *internal, GstFlowReturn ret)
{
  Ptr<GstPad> ghost (GST_PAD (gst_proxy_pad_get_internal (GST_PROXY_PAD (internal))));
  if (!ghost)
    return ret;
  std::lock_guard l (lock_);
  GstFlowReturn combined = gst_flow_combiner_update_pad_flow (combiner_, ghost.get (), ret);
  return drop_unlinked_ && combined == GST_FLOW_NOT_LINKED ? GST_FLOW_OK : combined;
}

GstFlowReturn
PadFlowCombiner::chain (GstPad *internal, GstObject *parent, GstBuffer *buffer)
{
  auto *self = static_cast<PadFlowCombiner *> (internal->chaindata);
  return self->combine (internal, gst_proxy_pad_chain_default (internal, parent, buffer));
}

GstFlowReturn
PadFlowCombiner::chain_list (GstPad *internal, GstObject *parent, GstBufferList *list)
{
  auto *self = static_cast<PadFlowCombiner *> (internal->chainlistdata);
  return self->combine (internal, gst_proxy_pad_chain_list_default (internal, parent, list));
}

} // namespace rtc
