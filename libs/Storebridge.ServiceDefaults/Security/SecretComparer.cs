using System.Security.Cryptography;
using System.Text;

namespace Storebridge.ServiceDefaults.Security;

/// <summary>Compares presented secrets without leaking, through timing, how much of them matched.</summary>
public static class SecretComparer
{
    /// <summary>
    /// True when <paramref name="presented"/> equals <paramref name="expected"/>. Both are hashed first so the
    /// comparison takes the same time whatever their lengths.
    /// </summary>
    public static bool FixedTimeEquals(string presented, string expected)
    {
        Span<byte> a = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> b = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), a);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
