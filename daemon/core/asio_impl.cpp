// Boost.Asio and Beast are compiled once, here, instead of in every file that uses them
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION): it halves build time.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
