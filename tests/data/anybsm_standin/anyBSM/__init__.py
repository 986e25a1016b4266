"""A stand-in for the anyBSM package (not usable offline: its models are fetched from gitlab on
first use) with the calls BSMArt's anyBSM tool makes: ``anyBSM(model, **settings)``,
``warnSSSS``, ``setparameters(dict)`` and ``lambdahhh()`` (complex ``treelevel`` and ``total``).
Made-up physics for its one model, THDMII: lambda_hhh(0) = 190 (1 - SinBmA^2 + 1) and
lambda_hhh(1) = lambda_hhh(0) + (MH^2 + MA^2 + MHp^2 - 3 M^2)^2 / 1e12."""


class anyBSM:  # noqa: N801 - the package's own name
    MODELS = ("THDMII",)

    def __init__(self, model, scheme_name="OS", quiet=False, **options):
        if model not in self.MODELS:
            raise ValueError(f"model '{model}' not found in the models directory")
        if not isinstance(quiet, bool):
            raise TypeError("quiet must be a bool")
        self.model, self.scheme_name, self.parameters = model, scheme_name, {}
        self.warnSSSS = True

    def setparameters(self, parameters):
        unknown = set(parameters) - {"Mh2", "MAh2", "MHm2", "M", "TanBeta", "SinBmA"}
        if unknown:
            raise KeyError(f"unknown parameters {sorted(unknown)}")
        self.parameters.update(parameters)

    def lambdahhh(self):
        p = self.parameters
        tree = 190.0 * (2 - p["SinBmA"] ** 2)
        loop = tree + (p["Mh2"] ** 2 + p["MAh2"] ** 2 + p["MHm2"] ** 2 - 3 * p["M"] ** 2) ** 2 / 1e12
        return {"treelevel": complex(tree, 0.0), "total": complex(loop, 0.5)}
