// A minimal stand-in for absl::flat_hash_map (absl versions its namespace with an inline one).
#pragma once
namespace absl {
inline namespace lts_20240116 {
template <class K, class V> class flat_hash_map {
public:
  V &operator[](const K &k);
  template <class R> void insert_range(R &&range);
  bool contains(const K &k) const;
  unsigned long size() const;
  void erase(const K &k);
};
} // namespace lts_20240116
} // namespace absl
