namespace Storebridge.Sandbox.Seed;

/// <summary>
/// A small deterministic generator (SplitMix64). System.Random's seeded sequence is an implementation detail
/// of the runtime; this one is ours, so a seed gives the same catalog on every machine and .NET version.
/// </summary>
internal sealed class SeedRandom
{
    private ulong _state;

    /// <summary>One independent stream per section, so that changing how customers are made does not reshuffle the items.</summary>
    public SeedRandom(int seed, string stream)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in stream)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        _state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL) ^ hash;
    }

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [min, max).</summary>
    public int Next(int min, int max)
    {
        if (max <= min)
        {
            return min;
        }

        return min + (int)(NextUInt64() % (ulong)(max - min));
    }

    public bool Chance(double probability) => NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> list) => list[Next(0, list.Count)];

    /// <summary>Picks <paramref name="count"/> distinct elements, in the list's order.</summary>
    public List<T> PickDistinct<T>(IReadOnlyList<T> list, int count)
    {
        var indexes = Enumerable.Range(0, list.Count).ToList();
        for (var i = indexes.Count - 1; i > 0; i--)
        {
            var j = Next(0, i + 1);
            (indexes[i], indexes[j]) = (indexes[j], indexes[i]);
        }

        return indexes.Take(Math.Min(count, list.Count)).Order().Select(i => list[i]).ToList();
    }
}
