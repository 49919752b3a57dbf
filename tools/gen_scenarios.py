"""Writes the planner scenarios shipped in examples/ (plain Python, no packages): an open room,
a corridor with an oncoming person, a person crossing in front, a doorway, and a cluttered
room with a static map. Usage: python3 tools/gen_scenarios.py"""
import json
import math

ROBOT = {
    "footprint": {"radius_m": 0.3},
    "limits": {"v_min_mps": 0, "v_max_mps": 1.0, "omega_max_radps": 1.5, "accel_max_mps2": 1.0,
               "alpha_max_radps2": 3.0, "jerk_max_mps3": 4.0, "angular_jerk_max_radps3": 12.0,
               "wheel_speed_max_mps": 1.3, "track_width_m": 0.4},
    "state": {"x_m": 0, "y_m": 0, "theta_rad": 0, "v_mps": 0.6, "omega_radps": 0, "accel_mps2": 0, "alpha_radps2": 0},
    "position_covariance_m2": [[0.0004, 0], [0, 0.0004]],
}


def person(x, y, vx, vy, sigma=0.1, growth=0.02):
    return {"radius_m": 0.3, "constant_velocity": {
        "position_m": [x, y], "velocity_mps": [vx, vy],
        "covariance_m2": [[sigma ** 2, 0], [0, sigma ** 2]], "growth_m2ps": [[growth, 0], [0, growth]]}}


def cost_map(cell_cost, size_cells=120, res=0.05, origin=(-3.0, -3.0)):
    cost = []
    for j in range(size_cells):
        for i in range(size_cells):
            x, y = origin[0] + (i + 0.5) * res, origin[1] + (j + 0.5) * res
            cost.append(cell_cost(x, y))
    return {"resolution_m": res, "width": size_cells, "height": size_cells, "origin_m": list(origin), "cost": cost}


def scenario(obstacles, path, goal, cost=None):
    s = {"robot": ROBOT, "horizon": {"duration_s": 3, "dt_s": 0.1},
         "guidance": {"path": path, "goal": {"x_m": goal[0], "y_m": goal[1], "theta_rad": goal[2]}},
         "obstacles": obstacles}
    if cost is not None:
        s["map"] = cost
    return s


def doorway(x, y):
    # A wall at x = 1.5 with a 1.0 m door centred on y = 0.
    return 1.0 if 1.4 <= x <= 1.6 and abs(y) > 0.5 else 0.0


def cluttered(x, y):
    boxes = [(1.0, 0.8, 0.4, 0.3), (1.8, -0.6, 0.3, 0.5), (2.6, 0.5, 0.35, 0.35), (0.9, -1.6, 0.5, 0.3)]
    for bx, by, hx, hy in boxes:
        if abs(x - bx) <= hx and abs(y - by) <= hy:
            return 1.0
        d = max(abs(x - bx) - hx, abs(y - by) - hy)
        if d < 0.4:
            return round(0.5 * (1 - d / 0.4), 3)  # a soft margin around each box
    return 0.0


SCENARIOS = {
    "open_room": scenario([], [[0, 0], [5, 2]], (5, 2, 0.38)),
    "corridor": scenario([person(4, 0.2, -0.8, 0)], [[0, 0], [8, 0]], (8, 0, 0)),
    "crossing": scenario([person(2.0, -2.0, 0, 0.9)], [[0, 0], [6, 0]], (6, 0, 0)),
    "doorway": scenario([], [[0, 0], [4, 0]], (4, 0, 0), cost_map(doorway)),
    # The boxes at (1.8, -0.6) and (2.6, 0.5) leave no gap the robot fits through, so the
    # guidance goes over the second one.
    "cluttered": scenario([person(3.5, -1.0, -0.4, 0.3)], [[0, 0], [1.9, 0.2], [2.1, 1.3], [3.1, 1.3], [4, 0.5]], (4, 0.5, 0),
                          cost_map(cluttered)),
}

for name, s in SCENARIOS.items():
    with open(f"examples/{name}.json", "w") as f:
        json.dump(s, f, separators=(",", ":") if "map" in s else (", ", ": "))
        f.write("\n")
    print("wrote", f"examples/{name}.json")
