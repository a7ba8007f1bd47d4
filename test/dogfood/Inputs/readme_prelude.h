// What the README's runtime example takes as given from the surrounding service.
#include <string>
#include <vector>
struct key_store { void refresh() {} };
struct token_bucket { double tokens = 0; };
inline key_store keys;
inline std::vector<std::string> subscribers;
inline std::string event;
inline void post(const tether::context &, const std::string &, const std::string &) {}
