namespace Storebridge.ServiceDefaults;

/// <summary>Names of the Dapr components every service uses (components/*/).</summary>
public static class DaprComponents
{
    /// <summary>The state store; Dapr prefixes keys with the app id, so each service sees only its own state.</summary>
    public const string StateStore = "statestore";

    /// <summary>The secret store services read their credentials from.</summary>
    public const string SecretStore = "secretstore";
}
