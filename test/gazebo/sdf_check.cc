// Loads an SDF world or model file with libsdformat (SDFormat 12 on Debian 12, so SDF <= 1.9), fails on
// any error, and prints what test/gazebo/sdf.test.ts checks as one JSON object on stdout.
// Strict: warnings and unrecognised elements are errors (a misspelt <horizontal_fov> would otherwise be
// dropped silently and Gazebo would use its default), except the Gazebo-only elements in kGazeboOnly,
// which gz-sensors reads but SDFormat 12's spec does not list.
//
// Build: g++ -std=c++17 sdf_check.cc $(pkg-config --cflags --libs sdformat12) -o sdf_check
// Run:   sdf_check FILE   (exit 0 and JSON on stdout; exit 1 and the errors on stderr)
#include <sdf/sdf.hh>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::set<std::string> kGazeboOnly = {"gz_frame_id"};

using Pose = ignition::math::Pose3d;

// X_AC from X_AB and X_BC, spelt out (operator* changed meaning across ignition-math 6 releases).
Pose Compose(const Pose &ab, const Pose &bc) {
  return Pose(ab.Pos() + ab.Rot().RotateVector(bc.Pos()), ab.Rot() * bc.Rot());
}

std::string Num(double v) {
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

std::string Str(const std::string &v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

std::string PoseJson(const Pose &p) {
  const auto &q = p.Rot();
  return "{\"position\":[" + Num(p.Pos().X()) + "," + Num(p.Pos().Y()) + "," + Num(p.Pos().Z()) +
         "],\"quaternion_xyzw\":[" + Num(q.X()) + "," + Num(q.Y()) + "," + Num(q.Z()) + "," + Num(q.W()) +
         "],\"rpy\":[" + Num(q.Roll()) + "," + Num(q.Pitch()) + "," + Num(q.Yaw()) + "]}";
}

// Resolves a semantic pose to its default frame; any failure is fatal (a broken frame graph).
Pose Resolved(const sdf::SemanticPose &semantic, const std::string &what) {
  Pose pose;
  sdf::Errors errors = semantic.Resolve(pose);
  if (!errors.empty()) {
    std::cerr << what << ": cannot resolve pose: " << errors.front().Message() << "\n";
    std::exit(1);
  }
  return pose;
}

std::string GeometryJson(const sdf::Geometry *g) {
  switch (g->Type()) {
    case sdf::GeometryType::BOX: {
      auto s = g->BoxShape()->Size();
      return "{\"type\":\"box\",\"size\":[" + Num(s.X()) + "," + Num(s.Y()) + "," + Num(s.Z()) + "]}";
    }
    case sdf::GeometryType::CYLINDER:
      return "{\"type\":\"cylinder\",\"radius\":" + Num(g->CylinderShape()->Radius()) +
             ",\"length\":" + Num(g->CylinderShape()->Length()) + "}";
    case sdf::GeometryType::SPHERE:
      return "{\"type\":\"sphere\",\"radius\":" + Num(g->SphereShape()->Radius()) + "}";
    case sdf::GeometryType::CAPSULE:
      return "{\"type\":\"capsule\",\"radius\":" + Num(g->CapsuleShape()->Radius()) +
             ",\"length\":" + Num(g->CapsuleShape()->Length()) + "}";
    case sdf::GeometryType::PLANE:
      return "{\"type\":\"plane\"}";
    default:
      return "{\"type\":\"other\"}";
  }
}

std::string CameraJson(const sdf::Sensor &sensor) {
  const sdf::Camera *c = sensor.CameraSensor();
  if (c == nullptr) return "null";
  return "{\"horizontal_fov\":" + Num(c->HorizontalFov().Radian()) + ",\"width\":" + Num(c->ImageWidth()) +
         ",\"height\":" + Num(c->ImageHeight()) + ",\"format\":" + Str(c->PixelFormatStr()) +
         ",\"near\":" + Num(c->NearClip()) + ",\"far\":" + Num(c->FarClip()) +
         ",\"depth_near\":" + (c->HasDepthNearClip() ? Num(c->DepthNearClip()) : "null") +
         ",\"depth_far\":" + (c->HasDepthFarClip() ? Num(c->DepthFarClip()) : "null") + "}";
}

std::string ChildText(const sdf::ElementPtr &element, const std::string &name) {
  if (!element || !element->HasElement(name)) return "";
  return element->GetElement(name)->GetValue() ? element->GetElement(name)->GetValue()->GetAsString()
                                                : "";
}

// A model's links with world-frame (or model-frame, for a standalone model) poses.
std::string ModelJson(const sdf::Model &model, const Pose &frameFromModel) {
  std::string links;
  for (uint64_t i = 0; i < model.LinkCount(); ++i) {
    const sdf::Link *link = model.LinkByIndex(i);
    const Pose frameFromLink = Compose(frameFromModel, Resolved(link->SemanticPose(), link->Name()));
    std::string collisions;
    for (uint64_t j = 0; j < link->CollisionCount(); ++j) {
      const sdf::Collision *c = link->CollisionByIndex(j);
      const Pose linkFromCollision = Resolved(c->SemanticPose(), c->Name());
      collisions += (j ? "," : "") + std::string("{\"name\":") + Str(c->Name()) +
                    ",\"pose\":" + PoseJson(Compose(frameFromLink, linkFromCollision)) +
                    ",\"geometry\":" + GeometryJson(c->Geom()) + "}";
    }
    std::string sensors;
    for (uint64_t j = 0; j < link->SensorCount(); ++j) {
      const sdf::Sensor *s = link->SensorByIndex(j);
      const Pose linkFromSensor = Resolved(s->SemanticPose(), s->Name());
      // gz-sensors reads <gz_frame_id> from the raw element (SDFormat 12 keeps unknown elements there).
      sensors += (j ? "," : "") + std::string("{\"name\":") + Str(s->Name()) + ",\"type\":" + Str(s->TypeStr()) +
                 ",\"topic\":" + Str(s->Topic()) + ",\"update_rate\":" + Num(s->UpdateRate()) +
                 ",\"gz_frame_id\":" + Str(ChildText(s->Element(), "gz_frame_id")) +
                 ",\"pose\":" + PoseJson(Compose(frameFromLink, linkFromSensor)) +
                 ",\"camera\":" + CameraJson(*s) + "}";
    }
    const auto &inertial = link->Inertial();
    const auto &moi = inertial.MassMatrix().Moi();
    links += (i ? "," : "") + std::string("{\"name\":") + Str(link->Name()) +
             ",\"pose\":" + PoseJson(frameFromLink) + ",\"mass\":" + Num(inertial.MassMatrix().Mass()) +
             ",\"inertia\":{\"ixx\":" + Num(moi(0, 0)) + ",\"iyy\":" + Num(moi(1, 1)) + ",\"izz\":" +
             Num(moi(2, 2)) + ",\"ixy\":" + Num(moi(0, 1)) + ",\"ixz\":" + Num(moi(0, 2)) + ",\"iyz\":" +
             Num(moi(1, 2)) + "},\"collisions\":[" + collisions + "],\"sensors\":[" + sensors + "]}";
  }
  return "{\"name\":" + Str(model.Name()) + ",\"static\":" + (model.Static() ? "true" : "false") +
         ",\"pose\":" + PoseJson(frameFromModel) + ",\"links\":[" + links + "]}";
}

std::string PluginsJson(const sdf::ElementPtr &world) {
  std::string out;
  if (!world->HasElement("plugin")) return out;
  for (auto p = world->GetElement("plugin"); p; p = p->GetNextElement("plugin")) {
    out += (out.empty() ? "" : ",") + std::string("{\"filename\":") + Str(p->Get<std::string>("filename")) +
           ",\"name\":" + Str(p->Get<std::string>("name")) +
           ",\"render_engine\":" + Str(ChildText(p, "render_engine")) + "}";
  }
  return out;
}

bool GazeboOnly(const sdf::Error &e) {
  for (const auto &name : kGazeboOnly) {
    if (e.Message().find("XML Element[" + name + "]") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: sdf_check FILE.sdf\n";
    return 2;
  }
  const std::string file = argv[1];
  sdf::ParserConfig config;
  config.SetWarningsPolicy(sdf::EnforcementPolicy::ERR);
  config.SetUnrecognizedElementsPolicy(sdf::EnforcementPolicy::ERR);
  sdf::Root root;
  sdf::Errors errors = root.Load(file, config);
  std::vector<std::string> allowed;
  int fatal = 0;
  for (const auto &e : errors) {
    if (GazeboOnly(e)) {
      allowed.push_back(e.Message());
      continue;
    }
    std::cerr << file << ": " << e.Message() << "\n";
    ++fatal;
  }
  if (fatal > 0) return 1;

  std::string allowedJson;
  for (const auto &m : allowed) allowedJson += (allowedJson.empty() ? "" : ",") + Str(m);
  std::cout << "{\"file\":" << Str(file) << ",\"version\":" << Str(root.Version())
            << ",\"gazebo_only_elements\":[" << allowedJson << "]";
  if (root.WorldCount() == 1) {
    const sdf::World *world = root.WorldByIndex(0);
    std::string models;
    for (uint64_t i = 0; i < world->ModelCount(); ++i) {
      const sdf::Model *model = world->ModelByIndex(i);
      models += (i ? "," : "") + ModelJson(*model, Resolved(model->SemanticPose(), model->Name()));
    }
    std::cout << ",\"world\":{\"name\":" << Str(world->Name()) << ",\"plugins\":[" << PluginsJson(world->Element())
              << "],\"models\":[" << models << "]}";
  } else if (root.Model() != nullptr) {
    // A standalone model: poses in its own frame (where `create -x -y -z` places it).
    std::cout << ",\"model\":" << ModelJson(*root.Model(), Pose::Zero);
  } else {
    std::cerr << file << ": neither one world nor one model\n";
    return 1;
  }
  std::cout << "}\n";
  return 0;
}
