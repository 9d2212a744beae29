// Walking a bin's elements, at every depth.
#pragma once

#include <gst/gst.h>

#include <functional>

namespace rtc
{

// Calls @fn with every element inside @bin, at any depth (borrowed: take a reference to keep
// one past the call; change no state of the bin from @fn, collect and act afterwards). When the
// bin changes meanwhile, the walk starts over: @fn may see an element twice.
inline void
each_element (GstBin *bin, const std::function<void (GstElement *)> &fn)
{
  GstIterator *it = gst_bin_iterate_recurse (bin);
  GValue item = G_VALUE_INIT;
  for (;;)
    {
      const GstIteratorResult r = gst_iterator_next (it, &item);
      if (r == GST_ITERATOR_RESYNC)
        {
          gst_iterator_resync (it);
          continue;
        }
      if (r != GST_ITERATOR_OK)
        break;
      fn (GST_ELEMENT (g_value_get_object (&item)));
      g_value_reset (&item);
    }
  g_value_unset (&item);
  gst_iterator_free (it);
}

// Whether @element was made by the factory named @name.
inline bool
made_by (GstElement *element, const char *name)
{
  GstElementFactory *f = gst_element_get_factory (element);
  return f && g_str_equal (GST_OBJECT_NAME (f), name);
}

} // namespace rtc
