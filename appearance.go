package clientele

// AppearanceKeys are the appearance attribute keys of spec §4.6, with the
// hand and ear measurement patterns expanded, in spec order. Each holds a
// string or null and defaults to null.
var AppearanceKeys = func() []string {
	keys := []string{
		"hair_colour", "hair_length", "shape_body", "shape_face", "size_cup", "size_hat",
		"size_formal_jacket", "size_formal_jacket_length", "size_formal_shirt", "size_formal_shirt_fit",
		"size_formal_trouser", "size_formal_trouser_drop", "size_formal_trouser_leg", "size_jacket",
		"size_pant", "size_shoe", "size_type_age", "size_type_region", "size_top", "size_gloves",
		"size_swimwear_top", "size_swimwear_bottom", "size_swimwear_cup", "size_dress", "skin_type",
		"measurement_arm", "measurement_arm_inside", "measurement_bust", "measurement_chest",
		"measurement_foot_length", "measurement_head", "measurement_height", "measurement_hip",
		"measurement_leg_inside", "measurement_leg_outside", "measurement_neck",
		"measurement_neck_to_wrist", "measurement_shoulders", "measurement_waist",
		"measurement_weight", "brow_colour", "eye_colour",
	}
	for _, hand := range []string{"right", "left"} {
		for _, finger := range []string{"thumb", "index", "middle", "ring", "pinky"} {
			keys = append(keys, "measurement_hand_"+hand+"_"+finger)
		}
	}
	for _, part := range []string{"helix", "forward_helix", "flat", "conch", "tragus", "lobe"} {
		keys = append(keys, "measurement_ear_"+part)
	}
	return keys
}()

// appearanceKnown is AppearanceKeys as a set; other keys are ignored on input.
var appearanceKnown = func() map[string]bool {
	m := make(map[string]bool, len(AppearanceKeys))
	for _, k := range AppearanceKeys {
		m[k] = true
	}
	return m
}()
