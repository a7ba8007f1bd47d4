#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/task_group.h>
#include <tether/testing.h>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether_test::gate;
using tether_test::kSafety;

const nlohmann::json* find_component(const nlohmann::json& arr, const std::string& component) {
  for (const auto& e : arr) {
    if (e.at("component") == component) return &e;
  }
  return nullptr;
}

TEST(Registry, SnapshotJsonShape) {
  gate release;
  const auto line = __LINE__ + 1;
  auto t = tether::safe_go(tether::background(), "json-probe", tether::policy::keep_running, [&] { release.wait(); });
  tether::task_group g(tether::background(), "json-group");
  g.spawn([&] { release.wait(); });

  const nlohmann::json snap = tether::registry::snapshot_json();
  ASSERT_TRUE(snap.is_array());
  for (const auto& e : snap) {
    ASSERT_TRUE(e.is_object());
    EXPECT_EQ(e.size(), 7U) << e.dump();
    EXPECT_TRUE(e.at("id").is_number_unsigned());
    EXPECT_TRUE(e.at("component").is_string());
    EXPECT_TRUE(e.at("file").is_string());
    EXPECT_TRUE(e.at("line").is_number_unsigned());
    EXPECT_TRUE(e.at("function").is_string());
    EXPECT_TRUE(e.at("age_ms").is_number_integer());
    EXPECT_GE(e.at("age_ms").get<long long>(), 0);
    EXPECT_TRUE(e.at("kind").is_string());
  }
  const auto* probe = find_component(snap, "json-probe");
  ASSERT_NE(probe, nullptr) << snap.dump(2);
  EXPECT_EQ(probe->at("id").get<std::uint64_t>(), t.id());
  EXPECT_EQ(probe->at("line").get<unsigned>(), static_cast<unsigned>(line));
  EXPECT_NE(probe->at("file").get<std::string>().find("registry_test.cpp"), std::string::npos);
  EXPECT_NE(probe->at("function").get<std::string>().find("SnapshotJsonShape"), std::string::npos);
  EXPECT_EQ(probe->at("kind"), "safe_go");
  const auto* grp = find_component(snap, "json-group");
  ASSERT_NE(grp, nullptr) << snap.dump(2);
  EXPECT_EQ(grp->at("kind"), "group");

  release.open();
  t.join();
  g.wait();
  EXPECT_EQ(find_component(tether::registry::snapshot_json(), "json-probe"), nullptr);
}

TEST(Registry, LiveCountAndWaitIdle) {
  ASSERT_TRUE(tether::registry::wait_idle(kSafety));
  EXPECT_EQ(tether::registry::live_count(), 0U);
  EXPECT_TRUE(tether::registry::wait_idle(0ms));
  gate release;
  auto t = tether::safe_go(tether::background(), "idle-probe", tether::policy::keep_running, [&] { release.wait(); });
  EXPECT_EQ(tether::registry::live_count(), 1U);
  EXPECT_FALSE(tether::registry::wait_idle(10ms));
  release.open();
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
  EXPECT_EQ(tether::registry::live_count(), 0U);
  t.join();
}

TEST(Registry, TrackingOffStillCounts) {
  tether::registry::set_tracking(false);
  gate release;
  auto t = tether::safe_go(tether::background(), "untracked", tether::policy::keep_running, [&] { release.wait(); });
  tether::registry::set_tracking(true);
  EXPECT_TRUE(tether::registry::tracking());
  const auto snap = tether::registry::snapshot();
  EXPECT_TRUE(std::none_of(snap.begin(), snap.end(), [](const auto& i) { return i.component == "untracked"; }));
  EXPECT_EQ(tether::registry::live_count(), 1U);
  auto r = tether::testing::expect_no_leaks(10ms);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("tracking"), std::string::npos) << r.message();
  release.open();
  t.join();
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(Registry, DescribeNamesComponentSiteAndAge) {
  gate release;
  const auto line = __LINE__ + 1;
  auto t = tether::safe_go(tether::background(), "describe-me", tether::policy::keep_running, [&] { release.wait(); });
  const auto snap = tether::registry::snapshot();
  const auto it = std::find_if(snap.begin(), snap.end(), [](const auto& i) { return i.component == "describe-me"; });
  ASSERT_NE(it, snap.end());
  const std::string d = tether::describe(*it);
  EXPECT_NE(d.find("'describe-me' (safe_go)"), std::string::npos) << d;
  EXPECT_NE(d.find("registry_test.cpp:" + std::to_string(line)), std::string::npos) << d;
  EXPECT_NE(d.find(" ms"), std::string::npos) << d;
  release.open();
  t.join();
}

TEST(LeakCheck, PassesWhenIdle) { EXPECT_TRUE(tether::testing::expect_no_leaks(kSafety)); }

TEST(LeakCheck, TasksThatEndInTimeAreNotLeaks) {
  tether::testing::leak_check leaks(kSafety);
  gate release;
  tether::safe_go(tether::background(), "short-lived", tether::policy::keep_running, [&] { release.wait(); });
  release.open();
  EXPECT_TRUE(leaks.check());
}

TEST(LeakCheck, ReportsDeliberateLeakWithComponentAndSite) {
  gate release;
  auto pre = tether::safe_go(tether::background(), "pre-existing", tether::policy::keep_running, [&] { release.wait(); });
  tether::testing::leak_check leaks(30ms);
  const auto line = __LINE__ + 1;
  tether::safe_go(tether::background(), "leaky-worker", tether::policy::keep_running, [&] { release.wait(); });

  const ::testing::AssertionResult r = leaks.check();
  const std::string msg = r.message();
  EXPECT_FALSE(r);
  EXPECT_NE(msg.find("1 leaked task(s)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'leaky-worker'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("registry_test.cpp:" + std::to_string(line)), std::string::npos) << msg;
  EXPECT_NE(msg.find("age "), std::string::npos) << msg;
  EXPECT_EQ(msg.find("pre-existing"), std::string::npos) << msg;  // baseline tasks are not reported
  ASSERT_EQ(leaks.leaked().size(), 1U);

  auto all = tether::testing::expect_no_leaks(10ms);
  EXPECT_FALSE(all);
  EXPECT_NE(std::string(all.message()).find("pre-existing"), std::string::npos);
  EXPECT_NE(std::string(all.message()).find("leaky-worker"), std::string::npos);

  release.open();  // release the leak
  pre.join();
  EXPECT_TRUE(tether::testing::expect_no_leaks(kSafety));
}

TEST(LeakCheck, DestructorAddsFailure) {
  gate release;
  EXPECT_NONFATAL_FAILURE(
      {
        tether::testing::leak_check leaks(10ms);
        tether::safe_go(tether::background(), "scoped-leak", tether::policy::keep_running, [&] { release.wait(); });
      },
      "scoped-leak");
  release.open();
  EXPECT_TRUE(tether::testing::expect_no_leaks(kSafety));
}

TEST(LeakCheck, ReportsLeakedGroupTasks) {
  gate release;
  auto outer = std::make_unique<tether::task_group>(tether::background(), "leaky-group");
  tether::testing::leak_check leaks(10ms);
  outer->spawn([&] { release.wait(); });
  const auto r = leaks.check();
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("'leaky-group' (group)"), std::string::npos) << r.message();
  release.open();
  outer.reset();
  EXPECT_TRUE(tether::testing::expect_no_leaks(kSafety));
}

}  // namespace
